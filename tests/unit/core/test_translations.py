"""The zh_CN catalogue: complete, and its translations keep the source's placeholders."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[3] / "marketplace/translations/zh_CN/LC_MESSAGES/messages.po"
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
