"""Language and time-zone choice: cookie, then the user's setting, then Accept-Language."""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

LANG_COOKIE = "lang"


def normalise_locale(code: str | None) -> str | None:
    if not code:
        return None
    code = code.replace("-", "_")
    if code.lower().startswith("zh"):
        return "zh_CN"
    if code.lower().startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    chosen = normalise_locale(request.cookies.get(LANG_COOKIE)) if request else None
    if chosen in supported:
        return chosen
    try:
        if current_user and current_user.is_authenticated and current_user.locale in supported:
            return current_user.locale
    except Exception:  # no user loader during early errors
        pass
    if request and request.accept_languages:
        for value, _quality in request.accept_languages:
            loc = normalise_locale(value)
            if loc in supported:
                return loc
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
