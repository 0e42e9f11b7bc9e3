"""A local Stripe for the integration tests: localstripe plus a small Connect extension.

`stripe_server` (session-scoped fixture) starts localstripe's aiohttp application on 127.0.0.1 on
a free port in a subprocess, with its pickle persistence switched off, and yields its base
address. `stripe_base` (per test) empties the store before the test (`DELETE /_config/data`) and
points the application at the server (`STRIPE_SECRET_KEY`, `STRIPE_API_BASE`), restoring the
configuration afterwards.

localstripe has no Connect (accounts, transfers, reversals all 404). The extension below mounts
the little the platform uses on the same application, behind localstripe's own auth middleware:

    POST /v1/accounts                          {type, country, email}     -> account
    GET  /v1/accounts/{id}                                                -> account
    POST /v1/transfers                         {amount, currency, destination, metadata[...]}
    GET  /v1/transfers/{id}
    GET  /v1/transfers                         ?destination=
    POST /v1/transfers/{id}/reversals          {amount}                   -> transfer_reversal

A transfer never exceeds the platform's available balance in its currency: the sum of captured
charges minus their refunds minus transfers (net of reversals). A larger one is refused with the
error Stripe gives (400, code `balance_insufficient`).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

SERVER_SCRIPT = r'''
import sys, time, random, string
from aiohttp import web
import localstripe.resources as resources
resources.Store.dump_to_disk = lambda self: None
from localstripe import server
from localstripe.errors import UserError

store = resources.store


def _id(prefix):
    return prefix + "_" + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(16))


def _connect():
    return store.setdefault("connect", {"accounts": {}, "transfers": {}})


def _available(currency):
    total = 0
    for key, obj in list(store.items()):
        if not key.startswith("charge:"):
            continue
        if getattr(obj, "currency", None) != currency or getattr(obj, "status", None) != "succeeded":
            continue
        if not getattr(obj, "captured", True):
            continue
        total += obj.amount - (getattr(obj, "amount_refunded", 0) or 0)
    for t in _connect()["transfers"].values():
        if t["currency"] == currency:
            total -= t["amount"] - t["amount_reversed"]
    return total


async def create_account(request):
    data = await server.get_post_data(request) or {}
    account = {"id": _id("acct"), "object": "account", "type": data.get("type", "custom"),
               "country": data.get("country", "US"), "email": data.get("email"),
               "charges_enabled": True, "payouts_enabled": True, "created": int(time.time())}
    _connect()["accounts"][account["id"]] = account
    return web.json_response(account)


async def retrieve_account(request):
    account = _connect()["accounts"].get(request.match_info["id"])
    if account is None:
        raise UserError(404, "No such account: " + request.match_info["id"])
    return web.json_response(account)


async def create_transfer(request):
    data = await server.get_post_data(request) or {}
    try:
        amount = int(data.get("amount"))
    except (TypeError, ValueError):
        raise UserError(400, "Invalid integer: amount")
    currency = (data.get("currency") or "").lower()
    destination = data.get("destination")
    if amount <= 0 or not currency:
        raise UserError(400, "Bad request")
    if destination not in _connect()["accounts"]:
        raise UserError(400, "No such destination: " + str(destination))
    if amount > _available(currency):
        raise UserError(400, "You have insufficient available funds in your Stripe account.",
                        {"code": "balance_insufficient"})
    transfer = {"id": _id("tr"), "object": "transfer", "amount": amount, "currency": currency,
                "destination": destination, "metadata": data.get("metadata") or {},
                "amount_reversed": 0, "reversed": False, "reversals": [],
                "created": int(time.time())}
    _connect()["transfers"][transfer["id"]] = transfer
    return web.json_response(_export(transfer))


def _export(transfer):
    out = dict(transfer)
    out["reversals"] = {"object": "list", "data": list(transfer["reversals"]),
                        "has_more": False, "url": "/v1/transfers/%s/reversals" % transfer["id"]}
    return out


def _transfer(request):
    transfer = _connect()["transfers"].get(request.match_info["id"])
    if transfer is None:
        raise UserError(404, "No such transfer: " + request.match_info["id"])
    return transfer


async def retrieve_transfer(request):
    return web.json_response(_export(_transfer(request)))


async def list_transfers(request):
    destination = request.query.get("destination")
    items = [_export(t) for t in _connect()["transfers"].values()
             if destination in (None, t["destination"])]
    return web.json_response({"object": "list", "data": items, "has_more": False,
                              "url": "/v1/transfers"})


async def create_reversal(request):
    transfer = _transfer(request)
    data = await server.get_post_data(request) or {}
    left = transfer["amount"] - transfer["amount_reversed"]
    amount = int(data.get("amount") or left)
    if amount <= 0 or amount > left:
        raise UserError(400, "The reversal amount exceeds what is left on the transfer.")
    reversal = {"id": _id("trr"), "object": "transfer_reversal", "amount": amount,
                "currency": transfer["currency"], "transfer": transfer["id"],
                "created": int(time.time())}
    transfer["reversals"].append(reversal)
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
    return web.json_response(reversal)


app = server.app
app.router.add_post("/v1/accounts", create_account)
app.router.add_get("/v1/accounts/{id}", retrieve_account)
app.router.add_post("/v1/transfers", create_transfer)
app.router.add_get("/v1/transfers", list_transfers)
app.router.add_get("/v1/transfers/{id}", retrieve_transfer)
app.router.add_post("/v1/transfers/{id}/reversals", create_reversal)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
'''


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port_base() -> str:
    """An address where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}"


def _wait_until_up(base: str, proc, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"localstripe exited with {proc.returncode}")
        try:
            urllib.request.urlopen(base + "/js.stripe.com/v3/", timeout=1).read()
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError("localstripe did not start")


def flush(base: str) -> None:
    """Empty the store (customers, intents, charges, refunds, Connect objects)."""
    req = urllib.request.Request(base + "/_config/data", method="DELETE")
    urllib.request.urlopen(req, timeout=5).read()


@pytest.fixture(scope="session")
def stripe_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT, str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def stripe_base(app, stripe_server):
    """Card payments on, pointed at the local server, with an empty store."""
    flush(stripe_server)
    saved = {k: app.config.get(k) for k in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE",
                                            "STRIPE_PUBLISHABLE_KEY")}
    app.config.update(STRIPE_SECRET_KEY="sk_test_localstripe", STRIPE_API_BASE=stripe_server,
                      STRIPE_PUBLISHABLE_KEY="pk_test_localstripe")
    yield stripe_server
    app.config.update(saved)
