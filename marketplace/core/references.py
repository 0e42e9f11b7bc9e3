"""Internal references ("task:7", "milestone:2:…", "funding:1") → words and a link for people.

Ledger lines, holds, fundings and queue items name what they are about with a reference; pages
never show it raw. A domain tells how its kind reads, once, at init (through the hook mechanism:
the describer is the handler of its kind on `core.events.describe_refs`):

    references.register("task", describe_tasks)

where `describe_tasks(ids: list[str]) -> {id: Described}` answers for many ids in one query (a
page of ledger lines is one call per kind, not one per line). The rest of a reference after the
id ("task:7:prize:1") is passed through `Described.detail` by the caller's choice of words.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .events import connect_handler, describe_refs, handler_of


@dataclass(frozen=True)
class Described:
    text: str
    link: str | None = None

    def __str__(self) -> str:
        return self.text


_PARTS = {"prize": _l("prize %(n)s"), "piece": _l("piece %(n)s")}


# Kinds whose id has two parts ("wallet:org:5": the id is "org:5").
_TWO_PART_IDS: set[str] = set()


def register(kind: str, describer: Callable[[list[str]], dict], *, two_part_id: bool = False) -> None:
    """Connect how references of `kind` read (a handler of core.events.describe_refs; a later
    describer for the same kind replaces the earlier one). two_part_id: the id is the next two
    parts ("wallet:org:5" is described as "org:5")."""
    connect_handler(describe_refs, kind, describer, replace=True)
    if two_part_id:
        _TWO_PART_IDS.add(kind)


def _split(ref: str) -> tuple[str, str, list[str]]:
    parts = (ref or "").split(":")
    if parts[0] in _TWO_PART_IDS:
        return parts[0], ":".join(parts[1:3]), parts[3:]
    return parts[0], (parts[1] if len(parts) > 1 else ""), parts[2:]


def _suffix(rest: list[str]) -> str:
    words = []
    for name, value in zip(rest[::2], rest[1::2], strict=False):
        template = _PARTS.get(name)
        if template is not None:
            words.append(str(template) % {"n": value})
    return f" ({', '.join(words)})" if words else ""


def describe_many(refs: Iterable[str | None]) -> dict[str, Described]:
    """Words (and a link where there is a page) for each reference; unknown kinds read as
    "Other" rather than as the raw reference."""
    refs = [r for r in dict.fromkeys(refs) if r]
    by_kind: dict[str, list[str]] = {}
    for ref in refs:
        kind, ident, _rest = _split(ref)
        by_kind.setdefault(kind, []).append(ident)
    found: dict[tuple[str, str], Described] = {}
    for kind, ids in by_kind.items():
        describer = handler_of(describe_refs, kind)
        if describer is None:
            continue
        for ident, described in (describer(sorted(set(ids))) or {}).items():
            found[(kind, str(ident))] = described
    result = {}
    for ref in refs:
        kind, ident, rest = _split(ref)
        base = found.get((kind, ident))
        if base is None:
            result[ref] = Described(str(_l("Other")))
        else:
            result[ref] = Described(base.text + _suffix(rest), base.link)
    return result


def describe(ref: str | None) -> Described:
    if not ref:
        return Described("")
    return describe_many([ref])[ref]
