"""Every page of the demo, as each demo user sees it in Chinese, names things in words: no raw
internal reference (`task:7`, `funding:2`) and no untranslated status code in a status badge or
anywhere in the text."""
from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urljoin, urlsplit

import pytest

from marketplace.accounts.models import User
from marketplace.core.statuses import LABELS
from marketplace.extensions import db
from tests.integration.core.conftest import compile_catalogues

REFERENCE = re.compile(r"\b(task|milestone|funding|payout|contract|wallet|bounty|submission|dispute|entry)"
                       r":(\d+|user|org)\b")
BADGE = re.compile(r'<span class="status status-([a-z_]+)">([^<]*)</span>')
# Status codes that cannot be ordinary words of a Chinese page.
CODES = sorted({code for labels in LABELS.values() for code in labels}, key=len, reverse=True)
CODE_WORD = re.compile(r"(?<![A-Za-z_])(" + "|".join(map(re.escape, CODES)) + r")(?![A-Za-z_])")
SKIP = re.compile(r"^/(static|logout|api|webhooks|lang|healthz)|/avatar|/download|/attachments/|/files/|/licence|\.(png|jpe?g|pdf|zip)$")
PAGE_LIMIT = 140
# The audit log lists the recorded action codes (review.replied, payments.bank_transfer_confirmed)
# on purpose, as a log does; the negative list shows its rule keys and banned words as typed ("fake
# review"); their references and badges are still checked.
CODES_ALLOWED = re.compile(r"^/operator/(audit|negative-list)")


def _text(page: str) -> str:
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?is)<(select|option|textarea|input)\b[^>]*>.*?(</\1>)?", " ", page)
    return htmllib.unescape(re.sub(r"(?s)<[^>]+>", " ", page))


def _links(page: str, base: str) -> list[str]:
    out = []
    for href in re.findall(r'href="([^"#]+)"', page):
        url = urljoin(base, htmllib.unescape(href))
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or SKIP.search(parts.path):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query and "cursor" not in parts.query else ""))
    return out


def _crawl(client, starts) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = list(starts)
    while queue and len(seen) < PAGE_LIMIT:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            seen[url] = ""
            continue
        body = response.get_data(as_text=True)
        seen[url] = body
        queue.extend(link for link in _links(body, url) if link not in seen)
    return seen


def _pages_of_money_and_entries() -> list[str]:
    """Pages the crawl may not reach through links within its page limit: organisation wallets
    (payouts), the operator's payout pages, funding pages with their fees, and bounty entries with
    their file previews, judging and comparison. Whoever may not see one gets a 404 (skipped)."""
    from marketplace.bounties.models import Submission
    from marketplace.contracts.models import Milestone
    from marketplace.organisations.models import Organisation
    from marketplace.payments.models import Payout
    from marketplace.tasks.models import Task
    pages = [f"/orgs/{pk}/wallet" for pk in db.session.scalars(db.select(Organisation.id))]
    pages += [f"/operator/payouts/{pk}" for pk in db.session.scalars(db.select(Payout.id))]
    pages += [f"/fund/milestone/{pk}" for pk in db.session.scalars(
        db.select(Milestone.id).where(Milestone.status == "pending_funding"))]
    entries = list(db.session.execute(db.select(Submission.public_id, Submission.task_id)))
    pages += [f"/submissions/{public_id}" for public_id, _task in entries]
    for task_id in sorted({task for _sub, task in entries}):
        pages += [f"/tasks/{task_id}/judging",
                  f"/tasks/{task_id}/judging/compare?" + "&".join(f"s={p}" for p, t in entries if t == task_id)]
    pages += [f"/fund/task/{pk}" for pk in db.session.scalars(
        db.select(Task.id).where(Task.status == "draft", Task.mode.in_(("claim", "bounty"))))]
    assert any("/wallet" in p for p in pages[:1]) and any(p.startswith("/submissions/") for p in pages)
    return pages


@pytest.fixture
def demo(app):
    compile_catalogues()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return {u.email: u for u in db.session.scalars(db.select(User).where(User.email.like("%@huizhong.example")))}


def test_no_demo_page_shows_an_internal_reference_or_a_raw_status(client, demo):
    from tests.factories import login
    problems = []
    starts = ["/", "/tasks/", "/tasks/mine", "/dashboard/", "/wallet", "/notifications/", "/operator/",
              "/orgs/", "/verification/", "/profile", "/tasks/new/household"] + _pages_of_money_and_entries()
    visited = 0
    for email in ("household@huizhong.example", "poster@huizhong.example", "solver.wang@huizhong.example",
                  "solver.li@huizhong.example", "operator@huizhong.example"):
        if email not in demo:
            continue
        login(client, demo[email])
        client.set_cookie("lang", "zh_CN")
        pages = _crawl(client, starts)
        visited += sum(1 for body in pages.values() if body)
        for url, body in pages.items():
            if not body:
                continue
            text = _text(body)
            for match in REFERENCE.finditer(text):
                problems.append(f"{email} {url}: reference {match.group(0)!r}")
            for code, label in BADGE.findall(body):
                if not label.strip() or re.fullmatch(r"[a-z_ ]+", label.strip()):
                    problems.append(f"{email} {url}: badge {code!r} reads {label!r}")
            for match in ([] if CODES_ALLOWED.search(url) else CODE_WORD.finditer(text)):
                start = max(0, match.start() - 30)
                problems.append(f"{email} {url}: status code {match.group(0)!r} in …{text[start:match.end() + 30]!r}")
    assert visited > 40, f"only {visited} pages visited"
    assert not problems, "\n".join(sorted(set(problems))[:40])
