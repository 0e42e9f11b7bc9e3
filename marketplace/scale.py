"""`flask demo scale --tasks N`: a realistic marketplace of any size, for benchmarks.

Users (a tenth of the tasks), organisations with owners, approved identity checks for two users in
five, tasks of all three modes in every city and category with Chinese titles and descriptions of
120–200 characters, bids on tenders, contracts and milestones, and the ledger history of every
funded, released or refunded escrow plus wallet top-ups — each ledger transaction balanced, each
open hold matching its escrow, so `flask ledger verify` stays clean.

Rows are written in batches: PostgreSQL with COPY (1M tasks in minutes; task indexes rebuilt once at
the end), SQLite with executemany (100k tasks); ids continue from the largest; --seed is repeatable.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import random

import click

from .accounts.models import skill_keys
from .accounts.passwords import _normal
from .core.catalogue import CATEGORIES, CITIES
from .core.db import utcnow
from .extensions import db
from .scale_words import GIVEN, ORG_KINDS, ORG_WORDS, SURNAMES, TOPICS, random_text
from .tasks.models import FAR_FUTURE, terms_literal
from .tasks.search_stats import refresh
from .tasks.terms import index_terms

YUAN = 100
FEE_BPS = 1000
PASSWORD = "scale-demo-2026"
LIFE = [slug for slug, (family, _name) in CATEGORIES.items() if family == "life_service"]
OTHER = [slug for slug in CATEGORIES if slug not in LIFE]
PREFECTURES = [code for code in CITIES if "-" not in code]
WUHAN_DISTRICTS = [code for code in CITIES if code.startswith("wuhan-")]

TASK_STATUS = {  # mode -> [(status, weight)]
    "tender": [("open", 45), ("in_progress", 15), ("completed", 20), ("cancelled", 10), ("expired", 10)],
    "claim": [("open", 50), ("in_progress", 15), ("completed", 25), ("expired", 10)],
    "bounty": [("open", 50), ("selecting", 10), ("completed", 25), ("refunded", 15)],
}


class Ids:
    """The next id of each table (the generator assigns ids itself, so rows can be COPY'd)."""

    def __init__(self, tables):
        self._next = {}
        for name in tables:
            self._next[name] = (db.session.scalar(db.text(f"SELECT coalesce(max(id), 0) FROM {name}")) or 0) + 1

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


class Writer:
    """Collects rows per table and writes them in batches (COPY on PostgreSQL)."""

    ORDER = ("users", "user_skills", "organisations", "memberships", "verification_requests", "ledger_accounts",
             "tasks", "task_skills", "bids", "contracts", "milestones", "ledger_transactions", "ledger_entries",
             "ledger_holds", "ledger_hold_resolutions")
    # Tables keyed by (owner, skill), without an id of their own.
    WITHOUT_ID = ("user_skills", "task_skills")

    def __init__(self):
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.rows: dict[str, list] = {name: [] for name in self.ORDER}
        self.columns: dict[str, tuple] = {}

    def add(self, table: str, **row):
        if table not in self.columns:
            self.columns[table] = tuple(row)
        self.rows[table].append(tuple(row[c] for c in self.columns[table]))

    def _value(self, value):
        if isinstance(value, dt.datetime) and not self.postgres:
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    def flush(self):
        for table in self.ORDER:
            rows = self.rows[table]
            if not rows:
                continue
            columns = self.columns[table]
            if self.postgres:
                raw = self.connection.connection.dbapi_connection
                with raw.cursor() as cursor:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            else:
                raw = self.connection.connection.dbapi_connection
                marks = ", ".join("?" for _ in columns)
                raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                [tuple(self._value(v) for v in row) for row in rows])
            self.rows[table] = []


class Ledger:
    """Balanced ledger rows for the generator: accounts on first use, one transaction per move."""

    def __init__(self, writer: Writer, ids: Ids, now: dt.datetime):
        self.w, self.ids, self.now = writer, ids, now
        self.accounts: dict[str, int] = dict(db.session.execute(db.text(
            "SELECT code, id FROM ledger_accounts WHERE currency = 'CNY' AND kind IN ('cash', 'revenue')")).all())
        self.run = ids._next["ledger_transactions"]

    def account(self, code: str, kind: str, *, owner=None, ref=None, status="open", closed_at=None) -> int:
        if code in self.accounts:
            return self.accounts[code]
        account_id = self.ids.take("ledger_accounts")
        self.w.add("ledger_accounts", id=account_id, code=code, currency="CNY", kind=kind,
                   owner_type=owner[0] if owner else None, owner_id=owner[1] if owner else None, ref=ref,
                   status=status, created_at=self.now, closed_at=closed_at)
        if kind != "escrow":  # escrows are used once; wallets and platform accounts again
            self.accounts[code] = account_id
        return account_id

    def wallet(self, user_id: int) -> int:
        return self.account(f"wallet:user:{user_id}", "wallet", owner=("user", user_id))

    def post(self, kind: str, ref: str, legs, when: dt.datetime) -> int:
        assert sum(amount for _account, amount in legs) == 0, legs
        txn = self.ids.take("ledger_transactions")
        self.w.add("ledger_transactions", id=txn, kind=kind, idempotency_key=f"scale:{self.run}:{txn}",
                   request_hash=hashlib.sha256(f"{kind}:{ref}".encode()).hexdigest(), ref=ref, actor_id=None,
                   created_at=when)
        for account_id, amount in legs:
            self.w.add("ledger_entries", id=self.ids.take("ledger_entries"), transaction_id=txn,
                       account_id=account_id, amount=amount, currency="CNY")
        return txn

    def escrow(self, ref: str, hold_ref: str, payer_id: int, amount: int, when: dt.datetime,
               outcome: str | None = None, solver_id: int | None = None):
        """Fund an escrow from the bank; then, with `outcome`, release it to the solver (fee to
        revenue) or refund it to the payer's wallet, closing the escrow."""
        closed = when + dt.timedelta(days=3) if outcome else None
        escrow = self.account(f"escrow:{ref}", "escrow", ref=ref, status="closed" if outcome else "open",
                              closed_at=closed)
        payer_wallet = self.wallet(payer_id)
        cash = self.account("cash:bank", "cash")
        funding = self.post("fund_escrow", ref, [(cash, -amount), (escrow, amount)], when)
        hold = self.ids.take("ledger_holds")
        self.w.add("ledger_holds", id=hold, ref=hold_ref, kind="escrow", account_id=escrow,
                   payer_account_id=payer_wallet, channel="bank", amount=amount, currency="CNY",
                   status=outcome or "open", funding_transaction_id=funding, created_at=when, resolved_at=closed)
        if outcome is None:
            return
        if outcome == "released":
            fee = amount * FEE_BPS // 10000
            legs = [(escrow, -amount), (self.wallet(solver_id), amount - fee)]
            if fee:
                legs.append((self.account("revenue:fees", "revenue"), fee))
            txn = self.post("release", ref, legs, closed)
        else:
            txn = self.post("refund", ref, [(escrow, -amount), (payer_wallet, amount)], closed)
        self.w.add("ledger_hold_resolutions", id=self.ids.take("ledger_hold_resolutions"), hold_id=hold,
                   transaction_id=txn, outcome=outcome, created_at=closed)

    def top_up(self, user_id: int, amount: int, when: dt.datetime):
        self.post("fund_wallet", f"wallet:user:{user_id}",
                  [(self.account("cash:bank", "cash"), -amount), (self.wallet(user_id), amount)], when)


def _pick(rng: random.Random, weighted):
    total = sum(w for _v, w in weighted)
    x = rng.uniform(0, total)
    for value, weight in weighted:
        x -= weight
        if x <= 0:
            return value
    return weighted[-1][0]


def _prepare_postgres(writer: Writer) -> list[str]:
    """Drop the search and sort indexes of tasks for the load (rebuilt once after); returns the
    statements that rebuild them."""
    rows = db.session.execute(db.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'tasks' "
        "AND indexname IN ('ix_tasks_search_terms', 'ix_tasks_open_newest', 'ix_tasks_open_deadline', "
        "'ix_tasks_open_amount')")).all()
    for name, _definition in rows:
        db.session.execute(db.text(f'DROP INDEX "{name}"'))
    # The balance trigger is off: only balanced transactions are written (asserted above, verified after).
    db.session.execute(db.text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_balanced"))
    return [definition for _name, definition in rows]


def generate(tasks: int, seed: int = 1, batch: int = 5000, echo=click.echo) -> dict:
    """Add `tasks` tasks (and their users, organisations, bids, contracts and ledger history)."""
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    ids = Ids([table for table in Writer.ORDER if table not in Writer.WITHOUT_ID])
    writer = Writer()
    ledger = Ledger(writer, ids, now)
    rebuild = _prepare_postgres(writer) if writer.postgres else []
    if writer.postgres:
        db.session.execute(db.text("SET LOCAL maintenance_work_mem = '512MB'"))
    password_hash = _normal.hash(PASSWORD)
    run = ids._next["users"]
    counts = dict(users=0, orgs=0, tasks=0, bids=0, contracts=0, transactions=0)

    # Users: a tenth of the tasks (at least 50); two in five verified; one in five tops up a wallet.
    n_users = max(50, tasks // 10)
    users = []
    with click.progressbar(length=n_users, label="users and organisations") as bar:
        for i in range(n_users):
            uid = ids.take("users")
            city = rng.choice(list(CITIES))
            category = rng.choice(list(CATEGORIES))
            skills = rng.sample(TOPICS[category][2], k=min(2, len(TOPICS[category][2])))
            created = now - dt.timedelta(days=rng.randint(30, 900), seconds=rng.randint(0, 86400))
            is_org = i % 40 == 0
            writer.add("users", id=uid, email=f"scale{run}-{i}@scale.example", password_hash=password_hash,
                       display_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                       account_type="organization" if is_org else "individual", org_name=None, role="member",
                       bio="", city=city, skills=json.dumps(skills, ensure_ascii=False), avatar_path=None,
                       locale="zh_CN", suspended_at=None, created_at=created, last_login_at=None)
            for key in sorted(skill_keys(skills)):
                writer.add("user_skills", user_id=uid, skill=key)
            users.append((uid, city, category))
            if is_org:
                words, (suffix, kind) = rng.choice(ORG_WORDS), rng.choice(ORG_KINDS)
                org_id = ids.take("organisations")
                writer.add("organisations", id=org_id, name=f"{words}{suffix}{org_id}", kind=kind, city=city,
                           description="", created_by_id=uid, created_at=created)
                writer.add("memberships", id=ids.take("memberships"), org_id=org_id, user_id=uid, role="owner",
                           created_at=created)
                counts["orgs"] += 1
            if rng.random() < 0.4:
                digest = hashlib.sha256(f"scale:{uid}".encode()).hexdigest()
                writer.add("verification_requests", id=ids.take("verification_requests"), subject="individual",
                           user_id=uid, org_id=None, name="实名用户", masked_number="4201************" + str(uid % 10) * 2,
                           number_digest=digest, licence_token=None, licence_path=None, licence_name=None,
                           licence_mime=None, licence_size=None, licence_sha256=None, status="approved",
                           reason=None, created_at=created, decided_at=created, decided_by_id=None)
            if rng.random() < 0.2:
                ledger.top_up(uid, rng.randint(100, 20000) * YUAN, created + dt.timedelta(days=1))
                counts["transactions"] += 1
            if len(writer.rows["users"]) >= batch:
                writer.flush()
            bar.update(1)
    writer.flush()
    counts["users"] = n_users
    by_city: dict[str, list[int]] = {}
    for uid, city, _category in users:
        by_city.setdefault(city.split("-")[0], []).append(uid)
    user_ids = [u[0] for u in users]

    categories = list(CATEGORIES)
    cities = list(CITIES)
    with click.progressbar(length=tasks, label="tasks, bids, contracts, ledger") as bar:
        for i in range(tasks):
            tid = ids.take("tasks")
            # Round-robin over categories and cities so every one appears, shuffled by the rng.
            category = categories[i % len(categories)] if i < 10 * len(categories) else rng.choice(categories)
            mode = ("claim" if category in LIFE and rng.random() < 0.8
                    else "bounty" if rng.random() < 0.3 else "tender")
            if category not in LIFE and mode == "claim":
                mode = "tender"
            status = _pick(rng, TASK_STATUS[mode])
            city = cities[i % len(cities)] if i < 2 * len(cities) else rng.choice(cities)
            district = None
            if mode == "claim" and "-" not in city and city == "wuhan":
                district = rng.choice(WUHAN_DISTRICTS)
            poster = rng.choice(user_ids)
            title, description, skills = random_text(rng, category)
            age = dt.timedelta(days=rng.randint(0, 30 if status == "open" else 700),
                               seconds=rng.randint(0, 86400))
            created = now - age - dt.timedelta(hours=2)
            published = created + dt.timedelta(hours=1)
            future = now + dt.timedelta(days=rng.randint(3, 60))
            past = published + dt.timedelta(days=rng.randint(3, 30))
            deadline = future if status == "open" else min(past, now - dt.timedelta(hours=1))
            row = dict(
                id=tid, mode=mode, status=status, title=title, description=description, category=category,
                skills=json.dumps(skills, ensure_ascii=False), city=city, visibility="public",
                ip_terms="solver_keeps", org_id=None, poster_id=poster, currency="CNY", escrow_funded=False,
                escrow_amount=0, created_at=created, published_at=published, updated_at=published,
                cancelled_at=published + dt.timedelta(days=2) if status == "cancelled" else None,
                hidden_at=None, hidden_reason=None, budget_min=None, budget_max=None, bid_deadline=None,
                price=None, address=None, district=district, window_start=None, window_end=None,
                claimant_id=None, prize_structure=None, prizes=None, unit_price=None, max_pieces=None,
                submission_deadline=None, selection_days=None, eligibility=None)
            solver = rng.choice(user_ids)
            while solver == poster:
                solver = rng.choice(user_ids)
            if mode == "tender":
                low = rng.randint(10, 2000) * 100 * YUAN
                row.update(budget_min=low, budget_max=low * rng.choice((1, 2, 3)), bid_deadline=deadline)
                amount = row["budget_max"]
            elif mode == "claim":
                amount = rng.randint(30, 2000) * YUAN
                start = deadline
                row.update(price=amount, address="示例小区 %d 号楼" % rng.randint(1, 30),
                           window_start=start, window_end=start + dt.timedelta(hours=rng.choice((2, 4, 8))))
            else:
                amount = rng.randint(5, 500) * 100 * YUAN
                row.update(prize_structure="single", prizes=json.dumps([amount]), submission_deadline=deadline,
                           selection_days=7, eligibility="anyone")
            reward = amount
            row["listed_amount"] = reward
            row["listed_deadline"] = deadline
            row["listed_at"] = published
            row["sort_deadline"] = deadline or FAR_FUTURE
            row["sort_amount"] = reward or 0
            row["listed_prefecture"] = (district or city).split("-", 1)[0]
            terms = index_terms(title, description, " ".join(skills))
            row["search_terms"] = terms_literal(sorted(terms), "postgresql" if writer.postgres else "sqlite")

            funded_at = published
            if mode == "claim":
                outcome = {"completed": "released", "expired": "refunded"}.get(status)
                ledger.escrow(f"task:{tid}", f"task:{tid}", poster, amount, funded_at, outcome, solver)
                counts["transactions"] += 2 if outcome else 1
                row.update(escrow_funded=True, escrow_amount=0 if outcome else amount)
                if status in ("in_progress", "completed"):
                    row["claimant_id"] = solver
            elif mode == "bounty":
                outcome = {"completed": "released", "refunded": "refunded"}.get(status)
                ledger.escrow(f"task:{tid}", f"task:{tid}:prize:1", poster, amount, funded_at, outcome, solver)
                counts["transactions"] += 2 if outcome else 1
                row.update(escrow_funded=True, escrow_amount=0 if outcome else amount)
            writer.add("tasks", **row)
            for key in sorted(skill_keys(skills)):
                writer.add("task_skills", task_id=tid, skill=key)

            contract_bid = None
            if mode == "tender":
                n_bids = rng.choice((0, 1, 2, 2, 3, 4))
                if status in ("in_progress", "completed"):
                    n_bids = max(n_bids, 1)
                bidders = rng.sample(user_ids, k=min(n_bids, len(user_ids)))
                if poster in bidders:
                    bidders.remove(poster)
                for k, bidder in enumerate(bidders):
                    bid_id = ids.take("bids")
                    won = k == 0 and status in ("in_progress", "completed")
                    price = max(YUAN, rng.randint(row["budget_min"] // YUAN, row["budget_max"] // YUAN) * YUAN)
                    writer.add("bids", id=bid_id, task_id=tid, solver_id=bidder, org_id=None, amount=price,
                               currency="CNY", days=rng.randint(7, 120),
                               proposal="我们团队有多年相关经验，可按期交付，报价含税。" + title,
                               status="accepted" if won else ("rejected" if status in ("in_progress", "completed")
                                                               else "submitted"),
                               reject_reason=None, created_at=published + dt.timedelta(hours=k + 1),
                               updated_at=published + dt.timedelta(hours=k + 1),
                               decided_at=published + dt.timedelta(days=1) if status != "open" else None)
                    if won:
                        contract_bid = (bid_id, bidder, price)
                counts["bids"] += len(bidders)
            contract = None
            if contract_bid:
                bid_id, solver, price = contract_bid
                contract = (ids.take("contracts"), "tender", bid_id, solver, price)
            elif mode == "claim" and status in ("in_progress", "completed"):
                contract = (ids.take("contracts"), "claim", None, solver, amount)
            if contract:
                cid, kind, bid_id, solver, price = contract
                started = published + dt.timedelta(days=1)
                done = status == "completed"
                writer.add("contracts", id=cid, kind=kind, task_id=tid, bid_id=bid_id, poster_id=poster,
                           solver_id=solver, org_id=None, solver_org_id=None,
                           status="completed" if done else "active", amount=price, currency="CNY",
                           days=30, created_at=started, accepted_at=started,
                           completed_at=started + dt.timedelta(days=20) if done else None, cancelled_at=None,
                           poster_cancel_at=None, solver_cancel_at=None)
                counts["contracts"] += 1
                if kind == "tender":
                    first = price // 2 if price >= 2 * YUAN else price
                    parts = [first, price - first] if price - first > 0 else [first]
                    for position, part in enumerate(parts, start=1):
                        mid = ids.take("milestones")
                        funded = done or position == 1
                        state = "accepted" if done else ("funded" if funded else "pending_funding")
                        writer.add("milestones", id=mid, contract_id=cid, position=position,
                                   title=f"第{position}期交付", amount=part, currency="CNY", status=state,
                                   escrow_ref=f"milestone:{mid}" if funded else None,
                                   due_at=started + dt.timedelta(days=15 * position),
                                   funded_at=started if funded else None, delivered_at=None, review_due_at=None,
                                   accepted_at=started + dt.timedelta(days=15 * position) if done else None,
                                   auto_accepted=False, revisions=0)
                        if funded:
                            ledger.escrow(f"milestone:{mid}", f"milestone:{mid}", poster, part, started,
                                          "released" if done else None, solver)
                            counts["transactions"] += 2 if done else 1
            if len(writer.rows["tasks"]) >= batch:
                writer.flush()
                bar.update(batch)
        remaining = len(writer.rows["tasks"])
        writer.flush()
        bar.update(remaining)
    counts["tasks"] = tasks

    if writer.postgres:
        echo("rebuilding the search and sort indexes of tasks ...")
        for statement in rebuild:
            db.session.execute(db.text(statement))
        db.session.execute(db.text("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_balanced"))
        for table in (t for t in Writer.ORDER if t not in Writer.WITHOUT_ID):
            db.session.execute(db.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    echo("counting search terms ...")
    refresh()
    return counts
