"""Signals the tasks domain announces (the hook mechanism: marketplace/core/events.py).

    task_published     kwargs: task. After a task opens (e.g. bids schedule the bid deadline,
                       contracts the claim window's expiry).
    task_cancel_check  kwargs: task. Before a cancel; a receiver raises WrongState to refuse
                       (e.g. a bounty that already has submissions).
    task_cancelled     kwargs: task. After a task is cancelled (e.g. bids decline the live bids).
    task_page_sections kwargs: task, user (None when anonymous). Return (template, context) or
                       None: a section of the task page (bids, claims, submissions, contracts);
                       the template is included with `section` = context + task + user.
"""
from ..core.events import NS

task_published = NS.signal("task.published")
task_cancel_check = NS.signal("task.cancel_check")
task_cancelled = NS.signal("task.cancelled")
task_page_sections = NS.signal("task.page_sections")
