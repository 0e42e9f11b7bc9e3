"""Icons are inline SVG from templates/_icons.html; no template depends on an emoji font."""
from __future__ import annotations

import re
from pathlib import Path

from flask import render_template_string

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"
# Emoji and pictographs a system without an emoji font draws as an empty box.
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2B06\u2194-\u21FF\uFE0F]")


def _templates():
    return [p for p in TEMPLATES.rglob("*.html") if p.name != "_icons.html"]


def test_no_template_uses_an_emoji_or_pictograph_character():
    found = [f"{p.relative_to(ROOT)}: {m.group()!r}" for p in _templates()
             for m in EMOJI.finditer(p.read_text(encoding="utf-8"))]
    assert not found, found


def test_every_icon_a_template_names_exists(app):
    names = {m.group(1) for p in _templates()
             for m in re.finditer(r"""icon\(\s*["']([a-z-]+)["']""", p.read_text(encoding="utf-8"))}
    assert "bell" in names and "menu" in names
    with app.test_request_context():
        for name in sorted(names):
            assert "<svg" in render_template_string("{{ icon(n) }}", n=name), name


def test_icon_is_inline_svg_and_a_labelled_one_is_announced(app):
    with app.test_request_context():
        plain = render_template_string('{{ icon("bell") }}')
        labelled = render_template_string('{{ icon("check", label="Verified") }}')
        unknown = render_template_string('{{ icon("no-such-icon") }}')
    assert plain.startswith("<svg") and 'aria-hidden="true"' in plain and "<path" in plain
    assert 'role="img"' in labelled and 'aria-label="Verified"' in labelled and "<title>Verified</title>" in labelled
    assert unknown == ""


def test_the_bell_in_the_top_bar_is_an_svg(client, app):
    from tests.factories import login, make_user
    user = make_user()
    login(client, user)
    html = client.get("/").get_data(as_text=True)
    assert 'class="icon icon-bell"' in html and "\U0001F514" not in html
    assert 'class="icon icon-menu"' in html
