"""The home page section: tasks for the logged-in solver, else the newest open tasks."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from .listing import listing_page, page_options
from .recommend import recommended_for
from .search import TaskFilters, search_tasks

HOME_COUNT = 6


def home_section(_sender=None):
    tasks, title = [], None
    if current_user.is_authenticated:
        tasks = recommended_for(current_user, HOME_COUNT)
        title = _("Tasks for you")
    if not tasks:
        tasks, _cursor = search_tasks(None, TaskFilters(), limit=HOME_COUNT, options=page_options(True))
        title = _("Newest tasks")
    if not tasks:
        return None
    return "tasks/_home_section.html", {"tasks": tasks, "page": listing_page(tasks, cards=True), "title": title}
