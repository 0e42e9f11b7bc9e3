"""Task descriptions are Markdown written by posters: rendered with `markdown`, then sanitised
with `nh3` so no script, style or event handler reaches the page."""
from __future__ import annotations

from functools import lru_cache

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
                "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "del"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str | None) -> Markup:
    return _rendered(text or "")


# A description is rendered each time its page is shown, and costs more than the rest of the page's
# own work: the latest renders are kept, by text (the same text always gives the same page).
@lru_cache(maxsize=256)
def _rendered(text: str) -> Markup:
    html = md.markdown(text, extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer")
    return Markup(clean)
