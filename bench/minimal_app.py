"""The baseline of bench/http.py: a minimal Flask + SQLAlchemy app over the same tasks table.

It lists the 20 newest open tasks (HTML and JSON) and shows one task, with no login, no
translations, no filters and no layout beyond a small template: what a bare list costs here.

    DATABASE_URL=postgresql+psycopg://... gunicorn -w 2 --threads 8 bench.minimal_app:app
"""
from __future__ import annotations

import os

from flask import Flask, abort, jsonify, render_template_string
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"], pool_size=8, max_overflow=8)

LIST = text("SELECT id, title, mode, city, listed_amount, published_at FROM tasks WHERE status = 'open' "
            "ORDER BY listed_at DESC, id DESC LIMIT 20")
ONE = text("SELECT id, title, description, mode, city, listed_amount, published_at FROM tasks WHERE id = :id")
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Tasks</title></head><body>
<h1>Tasks</h1><ul>{% for t in tasks %}<li><a href="/tasks/{{ t.id }}">{{ t.title }}</a> {{ t.mode }}
{{ t.city }} {{ "%.2f"|format((t.listed_amount or 0) / 100) }} {{ t.published_at }}</li>{% endfor %}</ul>
</body></html>"""
ONE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ t.title }}</title></head><body>
<h1>{{ t.title }}</h1><p>{{ t.mode }} {{ t.city }} {{ "%.2f"|format((t.listed_amount or 0) / 100) }}</p>
<div>{{ t.description }}</div></body></html>"""


@app.get("/tasks/")
def tasks():
    with engine.connect() as conn:
        rows = conn.execute(LIST).all()
    return render_template_string(PAGE, tasks=rows)


@app.get("/tasks/<int:task_id>")
def task(task_id):
    with engine.connect() as conn:
        row = conn.execute(ONE, {"id": task_id}).first()
    if row is None:
        abort(404)
    return render_template_string(ONE_PAGE, t=row)


@app.get("/api/v1/tasks")
def api_tasks():
    with engine.connect() as conn:
        rows = conn.execute(LIST).all()
    return jsonify({"data": [{"id": r.id, "title": r.title, "mode": r.mode, "city": r.city,
                              "amount": r.listed_amount, "published_at": r.published_at.isoformat()}
                             for r in rows]})
