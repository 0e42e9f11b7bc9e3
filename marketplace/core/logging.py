"""Structured logging: one JSON object per line in production (LOG_JSON), plain text otherwise."""
from __future__ import annotations

import json
import logging
import time
import uuid

from flask import Flask, g, has_request_context, request


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context():
            data.update(request_id=g.get("request_id"), method=request.method, path=request.path)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    if app.config.get("LOG_JSON"):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("marketplace")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if not app.testing else logging.WARNING)
    root.propagate = app.testing  # let pytest's caplog see records in tests

    @app.before_request
    def _request_id():
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
        g.request_started = time.perf_counter()

    @app.after_request
    def _access_log(response):
        started = g.get("request_started")
        if started is not None and not app.testing:
            logging.getLogger("marketplace.access").info(
                "%s %s %s %.1fms", request.method, request.path, response.status_code,
                (time.perf_counter() - started) * 1000)
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response
