from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from . import service

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@login_required
def index():
    return render_template("dashboard/index.html", tasks=service.my_tasks(current_user),
                           bids=service.my_bids(current_user), contracts=service.my_contracts(current_user),
                           entries=service.my_entries(current_user))
