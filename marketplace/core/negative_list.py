"""The negative list (负面清单): what may not be posted, and `check_task_text`, which tasks call on
posting and publishing (low, in core, so that tasks need not import moderation).

Rules are named kinds of banned content, each with its words. The defaults below can be replaced
with `NEGATIVE_LIST_RULES` ({rule: [words]}) in the configuration and extended with the
`NEGATIVE_LIST_EXTRA` environment variable ("rule:word|word;rule2:word"); whole task categories
can be closed with `NEGATIVE_LIST_CATEGORIES` (catalogue slugs, comma-separated).

Matching ignores width, case, spaces and punctuation in Chinese text ("赌　博", "ＧＡＭＢＬＩＮＧ"),
and matches Latin words at word starts (so "gambling" matches "Gambling-site" but "casino"
does not match "occasion").

Operators may change the rules in force without a code change: this module asks for their
overrides and labels through core's signals (`events.negative_rule_overrides`,
`events.negative_rule_label`) and announces each refused post (`events.negative_list_hit`);
moderation answers and keeps the record.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from . import events
from .errors import ValidationFailed

DEFAULT_RULES: dict[str, list[str]] = {
    "gambling": ["赌博", "博彩", "赌场", "网赌", "六合彩", "百家乐", "gambling", "casino", "betting"],
    "fake_reviews": ["刷单", "刷好评", "刷信誉", "刷销量", "刷评论", "水军", "fake review", "click farm",
                     "review farming"],
    "ghost_writing": ["代写论文", "论文代写", "代写毕业论文", "代考", "枪手代写", "thesis ghostwriting",
                      "ghost-writing", "ghostwriting", "ghostwrite"],
    "weapons": ["枪支", "弹药", "管制刀具", "炸药", "仿真枪", "firearm", "guns", "handgun", "rifle", "ammunition", "explosive"],
    "fake_invoices": ["发票代开", "代开发票", "虚开发票", "假发票", "fake invoice"],
}

RULE_NAMES = {
    "gambling": _l("gambling"),
    "fake_reviews": _l("fake reviews and order brushing"),
    "ghost_writing": _l("ghost-writing of theses and exams"),
    "weapons": _l("weapons and explosives"),
    "fake_invoices": _l("invoice fraud"),
    "banned_category": _l("closed category"),
}

_LATIN = re.compile(r"[a-z0-9]")
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Violation:
    rule: str
    word: str

    @property
    def rule_name(self) -> str:
        return rule_label(self.rule)


def normalise(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def _squashed(text: str) -> str:
    """Letters and digits only: "赌 博-网" -> "赌博网"."""
    return _SEPARATORS.sub("", text)


def _spaced(text: str) -> str:
    """Words separated by single spaces: "Fake--Reviews!" -> " fake reviews "."""
    return " " + _SEPARATORS.sub(" ", text).strip() + " "


def configured_rules() -> dict[str, list[str]]:
    """The rules from the configuration (defaults, NEGATIVE_LIST_RULES, NEGATIVE_LIST_EXTRA)."""
    configured = current_app.config.get("NEGATIVE_LIST_RULES")
    merged = {rule: list(words) for rule, words in (configured or DEFAULT_RULES).items()}
    extra = current_app.config.get("NEGATIVE_LIST_EXTRA", "") or ""
    for chunk in extra.split(";"):
        rule, _, words = chunk.partition(":")
        if rule.strip() and words.strip():
            merged.setdefault(rule.strip(), []).extend(w.strip() for w in words.split("|") if w.strip())
    return merged


def rules() -> dict[str, list[str]]:
    """The rules in force: the configured ones, changed by the overrides the receivers of
    `events.negative_rule_overrides` answer ({rule: words} replaces a rule's words or adds one;
    {rule: None} switches it off)."""
    merged = configured_rules()
    for overrides in events.collect(events.negative_rule_overrides):
        for rule, words in overrides.items():
            if words is None:
                merged.pop(rule, None)
            else:
                merged[rule] = list(words)
    return merged


def rule_label(rule: str) -> str:
    """A rule's name in words: a built-in rule's, else the first label a receiver of
    `events.negative_rule_label` gives, else the rule's key."""
    if rule in RULE_NAMES:
        return str(RULE_NAMES[rule])
    labels = events.collect(events.negative_rule_label, rule=rule)
    return str(labels[0]) if labels else rule


def banned_categories() -> set[str]:
    value = current_app.config.get("NEGATIVE_LIST_CATEGORIES", "") or ""
    if isinstance(value, str):
        value = value.split(",")
    return {v.strip() for v in value if v and v.strip()}


def find_violation(text: str | None) -> Violation | None:
    """The first rule the text breaks, or None."""
    norm = normalise(text)
    if not norm.strip():
        return None
    squashed = _squashed(norm)
    spaced = _spaced(norm)
    for rule, words in rules().items():
        for word in words:
            w = normalise(word)
            if _LATIN.search(w) and w.isascii():
                # Latin words: at a word start, across any separators ("fake-reviews").
                pattern = r"(?<![a-z0-9])" + r"[\W_]*".join(re.escape(p) for p in _spaced(w).split())
                if re.search(pattern, spaced):
                    return Violation(rule, word)
            elif _squashed(w) and _squashed(w) in squashed:
                return Violation(rule, word)
    return None


def check_task_text(*, title: str | None = None, description: str | None = None,
                    category: str | None = None) -> None:
    """Refuse content on the negative list, naming the field and the rule that matched."""
    if category and category in banned_categories():
        events.negative_list_hit.send(rule="banned_category", word=category, field="category", text=category)
        raise ValidationFailed(
            _l("This category is closed on Huizhong."),
            errors={"category": [_l("Not allowed on Huizhong: %(rule)s.", rule=RULE_NAMES["banned_category"])]})
    for field, text in (("title", title), ("description", description)):
        violation = find_violation(text)
        if violation:
            events.negative_list_hit.send(rule=violation.rule, word=violation.word, field=field, text=text)
            message = _l("Not allowed on Huizhong: %(rule)s (matched “%(word)s”).",
                         rule=violation.rule_name, word=violation.word)
            raise ValidationFailed(_l("The task breaks the negative list (rule: %(rule)s).",
                                      rule=violation.rule),
                                   errors={field: [message]})
