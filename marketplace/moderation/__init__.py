"""Moderation: the negative list (负面清单), user reports, operators hiding tasks."""


def init_app(app):
    from . import models  # noqa: F401
