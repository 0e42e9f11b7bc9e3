"""Concurrent requests on PostgreSQL: 32 award calls pay once; 32 piece accepts never pass the cap."""
from __future__ import annotations

from marketplace.bounties.models import BountyPrize, Submission
from marketplace.extensions import db
from marketplace.ledger.models import LedgerTransaction
from tests.factories import api_headers, make_user
from tests.factories_bounties import enter, pass_deadline, post_bounty, release_prizes, verify_ledger
from tests.integration.contracts.helpers import escrow, wallet
from tests.races import race_clients

N = 32


def test_32_concurrent_awards_pay_once(app, client, postgres_only):
    poster = make_user()
    task = post_bounty(client, poster, structure="ranked", prizes=(5_000, 3_000))
    entries = [enter(client, task) for _ in range(2)]
    pass_deadline(task)
    headers = [api_headers(poster) for _ in range(N)]
    awards = {"awards": [{"submission_id": entries[0][1]["id"], "rank": 1},
                         {"submission_id": entries[1][1]["id"], "rank": 2}]}

    url = f"/api/v1/tasks/{task.id}/winners"  # read before the threads (no app context there)

    def send(c, i):
        return c.post(url, json=awards, headers=headers[i]).status_code

    codes = sorted(race_clients(app, send, N), key=repr)
    assert codes == [200] + [409] * (N - 1), codes
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(BountyPrize.id))) == 2  # held once each
    release_prizes()
    assert wallet(entries[0][0]) == 4_500 and wallet(entries[1][0]) == 2_700
    assert escrow(f"task:{task.id}") == 0
    releases = db.session.scalar(db.select(db.func.count(LedgerTransaction.id)).where(
        LedgerTransaction.kind == "release"))
    assert releases == 2
    verify_ledger(app)


def test_32_concurrent_piece_accepts_never_exceed_the_cap(app, client, postgres_only):
    poster = make_user()
    task = post_bounty(client, poster, structure="piece", unit_price=1_000, max_pieces=5)
    entries = [enter(client, task) for _ in range(N)]
    headers = [api_headers(poster) for _ in range(N)]
    urls = [f"/api/v1/submissions/{body['id']}/accept" for _s, body in entries]

    def send(c, i):
        return c.post(urls[i], headers=headers[i]).status_code

    codes = race_clients(app, send, N)
    assert codes.count(200) == 5, codes
    assert all(code in (200, 404, 409) for code in codes), codes
    db.session.expire_all()
    accepted = db.session.scalars(db.select(Submission).where(Submission.status == "accepted")).all()
    assert len(accepted) == 5 and sorted(s.piece_no for s in accepted) == [1, 2, 3, 4, 5]
    assert sum(wallet(s) for s, _b in entries) == 4_500
    assert escrow(f"task:{task.id}") == 0
    verify_ledger(app)
