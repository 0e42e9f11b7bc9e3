"""Signals the jobs domain announces (the hook mechanism: marketplace/core/events.py).

    timer_due   one handler per timer kind, connected with `jobs.service.register_handler(kind,
                fn)`; the sweeper calls `fn(subject_ref, now)` for each due timer of that kind.
"""
from ..core.events import NS

timer_due = NS.signal("jobs.timer_due")
