"""Templates translate with the language of the page being rendered, also inside
`force_locale`/`for_reader` (a mail to someone else) and in imported macros; texts that are not
HTML are not escaped; labels made once per language follow the language."""
from __future__ import annotations

from flask import current_app, render_template_string
from flask_babel import force_locale, lazy_gettext, refresh

from marketplace.core import links
from marketplace.core.i18n import PerLanguage


def _request(language: str | None = None):
    """A request context in `language` (by its cookie; default zh_CN). The test's app context, and
    with it `g`, outlives each request context here: the language chosen before is forgotten."""
    context = current_app.test_request_context("/", headers={"Cookie": f"lang={language}"} if language else {})
    context.push()
    refresh()
    return context


def _render(source: str, language: str | None = None, **context) -> str:
    request = _request(language)
    try:
        return render_template_string(source, **context)
    finally:
        request.pop()


def test_a_page_translates_in_its_language_and_inside_force_locale():
    assert _render("{{ _('Tender') }}") == "招标"
    assert _render("{{ _('Tender') }}", "en") == "Tender"
    request = _request()
    try:
        assert render_template_string("{{ _('Tender') }}") == "招标"
        with force_locale("en"):
            assert render_template_string("{{ _('Tender') }}|{{ gettext('Tender') }}") == "Tender|Tender"
        assert render_template_string("{{ _('Tender') }}") == "招标"
    finally:
        request.pop()


def test_macros_imported_without_context_translate_too():
    macro = current_app.jinja_env.from_string("{% macro m() %}{{ _('Tender') }}{% endmacro %}")
    request = _request()
    try:
        assert render_template_string("{{ m() }}", m=macro.module.m) == "招标"
        with force_locale("en"):
            assert render_template_string("{{ m() }}", m=macro.module.m) == "Tender"
    finally:
        request.pop()


def test_variables_are_escaped_in_html_and_not_in_text():
    source = "{{ _('Hidden by an operator: %(reason)s', reason=r) }}"
    assert _render(source, "en", r="<b>spam</b>") == "Hidden by an operator: &lt;b&gt;spam&lt;/b&gt;"
    text = "{% autoescape false %}" + source + "{% endautoescape %}"  # as in a mail's .txt template
    assert _render(text, "en", r="<b>spam</b>") == "Hidden by an operator: <b>spam</b>"
    assert _render("{{ _('%(n)s days after the deadline', n=7) }}") == "截止后 7 天内"


def test_labels_made_once_per_language_follow_the_language():
    made = []
    labels = PerLanguage(lambda: made.append(1) or {"tender": str(lazy_gettext("Tender"))})
    request = _request()
    try:
        assert labels()["tender"] == "招标" and labels()["tender"] == "招标"
        with force_locale("en"):
            assert labels()["tender"] == "Tender"
    finally:
        request.pop()
    assert len(made) == 2


def test_task_links_from_one_pattern_are_the_links():
    with current_app.test_request_context("/"):
        link = links.task_link_maker()
        assert [link(i) for i in (1, 42, 9876543210)] == [links.task(i) for i in (1, 42, 9876543210)]
    link = links.task_link_maker()  # outside a request (timers, CLI)
    assert link(7) == links.task(7) == "/tasks/7"
