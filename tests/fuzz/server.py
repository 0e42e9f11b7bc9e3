"""The application as `run_schemathesis.py` serves it: the production WSGI app, plus a record of
every answer (operation, status) in the file named by FUZZ_LOG, so the run can count per
operation how many generated requests were accepted, refused as invalid, or failed."""
from __future__ import annotations

import json
import os
import re

from flask import request

from marketplace import create_app

app = create_app()
_LOG = os.environ.get("FUZZ_LOG")


def _operation() -> str:
    rule = request.url_rule.rule if request.url_rule is not None else None
    if rule is None or not rule.startswith("/api/v1"):
        return f"{request.method} (no route)"
    path = re.sub(r"<(?:[a-z]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>", r"{\1}", rule)
    return f"{request.method} {path}"


@app.after_request
def _record(response):
    if _LOG:
        entry = {"op": _operation(), "path": request.path, "status": response.status_code,
                 "case": request.headers.get("X-Schemathesis-TestCaseId", "")}
        if response.status_code == 422 and not response.direct_passthrough:
            try:  # which fields were refused, and why: what the document failed to say
                entry["errors"] = json.loads(response.get_data()).get("errors")
            except (ValueError, AttributeError):
                pass
        line = json.dumps(entry, ensure_ascii=False)
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(line + "\n")
    return response
