"""Text → search terms, the same way for indexing and for queries.

Chinese has no spaces, so a task's CJK text is indexed as single characters and overlapping
character pairs (bigrams); Latin text as lower-cased words. A query matches a task when every one
of its terms is in the task's terms: "光纤" (one bigram) finds "光纤传感器研发", and "光" (a
unigram) finds it too. Text is normalised first (NFKC: full-width letters and digits become
half-width; case folded), so "ＦＰＧＡ" finds "fpga".
"""
from __future__ import annotations

import re
import unicodedata

MAX_TERM_LENGTH = 64
MAX_TERMS_PER_TASK = 5000

# CJK Unified Ideographs (+ extension A), compatibility ideographs, kana and Hangul syllables.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_RUNS = re.compile(f"[{_CJK}]+|[^\\W{_CJK}_]+", re.UNICODE)
_CJK_RUN = re.compile(f"^[{_CJK}]+$")


def normalise(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def _runs(text: str):
    for match in _RUNS.finditer(normalise(text)):
        yield match.group(0)


def index_terms(*texts: str | None) -> set[str]:
    """Every term a text should be found by: CJK unigrams and bigrams, Latin words."""
    terms: set[str] = set()
    for text in texts:
        for run in _runs(text):
            if _CJK_RUN.match(run):
                terms.update(run)
                terms.update(run[i:i + 2] for i in range(len(run) - 1))
            elif len(run) <= MAX_TERM_LENGTH:
                terms.add(run)
            if len(terms) >= MAX_TERMS_PER_TASK:
                return set(sorted(terms)[:MAX_TERMS_PER_TASK])
    return terms


def query_terms(query: str | None) -> set[str]:
    """The terms a task must all have to match a query: CJK bigrams (a lone character as a
    unigram) and Latin words."""
    terms: set[str] = set()
    for run in _runs(query):
        if _CJK_RUN.match(run):
            if len(run) == 1:
                terms.add(run)
            else:
                terms.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            terms.add(run[:MAX_TERM_LENGTH])
    return terms


def query_groups(query: str | None) -> list[set[str]]:
    """The query's terms per word (a CJK run or a Latin word), for estimating how many tasks
    have them all: the bigrams of one run go together, separate words roughly independently."""
    groups = []
    for run in _runs(query):
        terms = query_terms(run)
        if terms:
            groups.append(terms)
    return groups
