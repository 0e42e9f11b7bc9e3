"""The zh_CN catalogue: complete, and its translations keep the source's placeholders."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "marketplace/translations/zh_CN/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(([a-zA-Z_][a-zA-Z0-9_]*)\)[sdif]")


def catalogue():
    with open(PO, "rb") as fh:
        return read_po(fh, locale="zh_CN")


def _ids(message):
    return message.id if isinstance(message.id, (list, tuple)) else [message.id]


def _strings(message):
    return message.string if isinstance(message.string, (list, tuple)) else [message.string]


def test_catalogue_exists_and_is_for_zh_cn():
    cat = catalogue()
    assert str(cat.locale) in ("zh_Hans_CN", "zh_CN")
    assert len([m for m in cat if m.id]) > 0


def test_every_message_has_a_chinese_translation():
    untranslated = [_ids(m)[0] for m in catalogue()
                    if m.id and (not all(s and s.strip() for s in _strings(m)) or m.fuzzy)]
    assert not untranslated, f"{len(untranslated)} untranslated messages, e.g. {untranslated[:10]}"


def test_translations_keep_the_placeholders():
    wrong = []
    for m in catalogue():
        if not m.id:
            continue
        expected = set(PLACEHOLDER.findall(_ids(m)[0]))
        for s in _strings(m):
            if s and set(PLACEHOLDER.findall(s)) != expected:
                wrong.append((_ids(m)[0], s))
    assert not wrong, wrong


def test_the_shell_home_and_error_pages_are_translated():
    cat = catalogue()
    for msgid in ("Gather the crowd, get the work done", "Log in", "Register", "Back to the home page",
                  "This page does not exist.", "Something went wrong on our side. It has been logged.",
                  "Some fields are not valid."):
        message = cat.get(msgid)
        assert message is not None, msgid
        assert message.string and re.search(r"[\u4e00-\u9fff]", message.string), msgid


def _source_messages() -> set[str]:
    """Every message the code and templates mark for translation (what `make translations` extracts
    with babel.cfg)."""
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    found = set()
    for directory, method in (("marketplace", "python"), ("templates", "jinja2")):
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(ROOT / directory), [("**.py" if method == "python" else "**.html", method)],
                keywords=keywords):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_catalogue_has_every_message_of_the_code():
    """Run `make translations` after adding strings, so the catalogue knows them."""
    known = {_ids(m)[0] for m in catalogue() if m.id}
    missing = sorted(_source_messages() - known)
    assert not missing, f"{len(missing)} messages missing from the zh_CN catalogue, e.g. {missing[:10]}"
