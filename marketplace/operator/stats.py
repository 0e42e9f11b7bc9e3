"""Supervisor statistics (督促检查): tasks posted and completed, money escrowed, released and
refunded, disputes and their outcomes, and active users — each by mode, category, city and month.

Every figure is one grouped SQL query (the database does the counting over indexed columns; no
Python loop over rows). Money comes from the ledger's escrow accounts, mapped to their task in SQL
("task:<id>" directly, "milestone:<id>" through its contract); a dispute's split counts its solver
part as released and its payer part as refunded.
"""
from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from ..core.catalogue import category_name, city_name
from ..extensions import db

DIMENSIONS = {"mode": _l("Mode"), "category": _l("Category"), "city": _l("City"), "month": _l("Month")}

TABLES = {
    "tasks": {"title": _l("Tasks posted and completed"),
              "columns": {"posted": _l("Posted"), "completed": _l("Completed")}},
    "money": {"title": _l("Money escrowed, released and refunded"),
              "columns": {"escrowed": _l("Escrowed"), "released": _l("Released"), "refunded": _l("Refunded")},
              "money": True},
    "disputes": {"title": _l("Disputes and outcomes"),
                 "columns": {"opened": _l("Opened"), "open": _l("Still open"), "settled": _l("Settled"),
                             "decided": _l("Decided"), "withdrawn": _l("Withdrawn"),
                             "avg_solver_share_bps": _l("Average share to the solver (bp)")}},
    "users": {"title": _l("Active users"),
              "columns": {"active_users": _l("Active users"), "posters": _l("Posters"), "solvers": _l("Solvers")}},
}


def _month(column: str) -> str:
    if db.engine.dialect.name == "postgresql":
        return f"to_char({column}, 'YYYY-MM')"
    return f"strftime('%Y-%m', {column})"


def _dim(dim: str, task_alias: str, time_column: str) -> str:
    if dim == "month":
        return _month(time_column)
    if dim == "city":
        return f"COALESCE({task_alias}.city, '')"
    return f"{task_alias}.{dim}"


# The task an escrow account belongs to, in SQL.
_ESCROW_TASK = """CASE
  WHEN a.ref LIKE 'task:%' THEN CAST(substr(a.ref, 6) AS INTEGER)
  WHEN a.ref LIKE 'milestone:%' THEN (SELECT c.task_id FROM milestones m JOIN contracts c ON c.id = m.contract_id
                                      WHERE m.id = CAST(substr(a.ref, 11) AS INTEGER))
END"""


def _sql(table: str, dim: str) -> str:
    if table == "tasks":
        key = _dim(dim, "t", "t.published_at")
        return (f"SELECT {key} AS k, COUNT(*) AS posted, "
                f"SUM(CASE WHEN t.status = 'completed' THEN 1 ELSE 0 END) AS completed "
                f"FROM tasks t WHERE t.published_at IS NOT NULL GROUP BY {key} ORDER BY 1")
    if table == "money":
        flows = (
            "SELECT x.created_at AS at, " + _ESCROW_TASK + " AS task_id, "
            "CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END AS escrowed, "
            "CASE WHEN x.kind = 'release' THEN -e.amount ELSE 0 END AS released, "
            "CASE WHEN x.kind = 'refund' THEN -e.amount ELSE 0 END AS refunded "
            "FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'escrow' "
            "JOIN ledger_transactions x ON x.id = e.transaction_id "
            "WHERE x.kind IN ('fund_escrow', 'release', 'refund') "
            "UNION ALL "
            "SELECT d.closed_at AS at, d.task_id AS task_id, 0 AS escrowed, d.solver_amount AS released, "
            "d.payer_amount AS refunded FROM disputes d WHERE d.status IN ('settled', 'decided')")
        key = _dim(dim, "t", "f.at")
        return (f"SELECT {key} AS k, SUM(f.escrowed) AS escrowed, SUM(f.released) AS released, "
                f"SUM(f.refunded) AS refunded FROM ({flows}) f JOIN tasks t ON t.id = f.task_id "
                f"GROUP BY {key} ORDER BY 1")
    if table == "disputes":
        key = _dim(dim, "t", "d.opened_at")
        return (f"SELECT {key} AS k, COUNT(*) AS opened, "
                + ", ".join(f"SUM(CASE WHEN d.status = '{s}' THEN 1 ELSE 0 END) AS {s}"
                            for s in ("open", "settled", "decided", "withdrawn"))
                + ", CAST(AVG(d.solver_share_bps) AS INTEGER) AS avg_solver_share_bps "
                f"FROM disputes d JOIN tasks t ON t.id = d.task_id GROUP BY {key} ORDER BY 1")
    if table == "users":
        # Active: posted a task, or took one on (a contract as solver), in the period.
        acts = ("SELECT t.poster_id AS user_id, 'poster' AS side, t.published_at AS at, t.id AS task_id "
                "FROM tasks t WHERE t.published_at IS NOT NULL "
                "UNION ALL SELECT c.solver_id, 'solver', c.created_at, c.task_id FROM contracts c")
        key = _dim(dim, "t", "u.at")
        return (f"SELECT {key} AS k, COUNT(DISTINCT u.user_id) AS active_users, "
                f"COUNT(DISTINCT CASE WHEN u.side = 'poster' THEN u.user_id END) AS posters, "
                f"COUNT(DISTINCT CASE WHEN u.side = 'solver' THEN u.user_id END) AS solvers "
                f"FROM ({acts}) u JOIN tasks t ON t.id = u.task_id GROUP BY {key} ORDER BY 1")
    raise KeyError(table)


def table(name: str, dim: str) -> list[dict]:
    """Rows {"key": ..., <column>: int, ...} of one table grouped by one dimension."""
    if name not in TABLES or dim not in DIMENSIONS:
        raise KeyError((name, dim))
    columns = list(TABLES[name]["columns"])
    rows = db.session.execute(text(_sql(name, dim))).all()
    return [{"key": r[0] if r[0] is not None else "", **{c: int(r[i + 1] or 0) for i, c in enumerate(columns)}}
            for r in rows]


def all_tables() -> dict:
    return {name: {dim: table(name, dim) for dim in DIMENSIONS} for name in TABLES}


def label_for(dim: str, key: str) -> str:
    if dim == "category":
        return category_name(key)
    if dim == "city":
        return city_name(key) if key else str(_l("No city"))
    if dim == "mode":
        return str(MODE_NAMES.get(key, key))
    return key


MODE_NAMES = {"tender": _l("Tender"), "claim": _l("Claim"), "bounty": _l("Bounty")}


def to_csv(name: str, dim: str, rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    columns = list(TABLES[name]["columns"])
    writer.writerow([dim, *columns])
    for r in rows:
        writer.writerow([r["key"], *(r[c] for c in columns)])
    return out.getvalue()
