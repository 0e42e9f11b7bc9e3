"""The notification list (the bell)."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..core.i18n import format_day
from ..core.inputs import arg_id
from . import service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    """Newest first, grouped by day (in the reader's time zone); what is shown is now read (the
    page still marks which were new on this visit)."""
    before = arg_id("before")
    items = service.list_for(current_user.id, limit=50, before_id=before)
    days = []
    for note in items:
        day = format_day(note.created_at)
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(note)
    fresh = {n.id for n in items if n.read_at is None}
    service.mark_read(current_user.id, fresh)
    return render_template("notifications/index.html", items=items, days=days, fresh=fresh,
                           render=service.render, next_before=items[-1].id if len(items) == 50 else None)


@bp.get("/<id:note_id>")
@login_required
def open_note(note_id):
    """Follow a notification's link, marking it read."""
    note = service.get_for(current_user.id, note_id)
    if note is None:
        abort(404)
    service.mark_read(current_user.id, {note.id})
    link = note.link if note.link and note.link.startswith("/") and not note.link.startswith("//") else None
    return redirect(link or url_for("notifications.index"), code=303)


@bp.post("/read")
@login_required
def mark_read():
    service.mark_all_read(current_user.id)
    return redirect(url_for("notifications.index"), code=303)
