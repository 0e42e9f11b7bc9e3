"""The notification list (the bell)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..core.inputs import arg_id
from . import service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    before = arg_id("before")
    items = service.list_for(current_user.id, limit=50, before_id=before)
    return render_template("notifications/index.html", items=items, render=service.render,
                           next_before=items[-1].id if len(items) == 50 else None)


@bp.post("/read")
@login_required
def mark_read():
    service.mark_all_read(current_user.id)
    return redirect(url_for("notifications.index"), code=303)
