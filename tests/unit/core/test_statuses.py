"""Every status of every table has a person's word for it, in Chinese too."""
from __future__ import annotations

import re

from flask_babel import force_locale

from marketplace.core.statuses import LABELS, status_name
from marketplace.extensions import db

STATUS_CHECK = re.compile(r"^\s*status\s+in\s*\(([^)]*)\)", re.IGNORECASE)


def _statuses_by_table() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            sqltext = getattr(constraint, "sqltext", None)
            text = str(sqltext) if sqltext is not None else ""
            match = STATUS_CHECK.match(text)
            if match:
                found.setdefault(table.name, set()).update(re.findall(r"'([^']+)'", match.group(1)))
    return found


def test_the_check_constraints_are_read():
    found = _statuses_by_table()
    assert {"bids", "contracts", "milestones", "fundings", "payouts"} <= set(found)
    assert "mismatch" in found["fundings"] and "revision_requested" in found["milestones"]


def test_every_status_of_every_table_has_a_chinese_label(app):
    from marketplace.tasks.models import STATUSES as TASK_STATUSES
    found = _statuses_by_table()
    found.setdefault("tasks", set()).update(TASK_STATUSES)
    missing, untranslated = [], []
    with app.test_request_context(), force_locale("zh_CN"):
        for table, statuses in sorted(found.items()):
            for status in sorted(statuses):
                if status not in LABELS.get(table, {}):
                    missing.append(f"{table}.{status}")
                    continue
                label = status_name(table, status)
                if label == status or re.fullmatch(r"[A-Za-z _]+", label):
                    untranslated.append(f"{table}.{status} -> {label}")
    assert not missing, f"no label in core/statuses.py for {missing}"
    assert not untranslated, untranslated


def test_the_same_code_reads_differently_on_different_things(app):
    with app.test_request_context(), force_locale("zh_CN"):
        assert status_name("bids", "accepted") == "已中标"
        assert status_name("milestones", "accepted") == "已验收并放款"
        assert status_name("bids", "submitted") == "已投标"
        assert status_name("fundings", "mismatch") == "金额不符"
        assert status_name("nothing", "no_such_code") == "no_such_code"
