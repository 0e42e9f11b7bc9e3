"""Signals the accounts domain announces (the hook mechanism: marketplace/core/events.py).

    after_register    kwargs: user, form_data (dict). Runs inside the registration unit of work
                      (e.g. organisations creates the organisation named in form_data["org_name"]);
                      raising ValidationFailed refuses the whole registration.
    me_payload        kwargs: user. Return a dict merged into the /api/v1/me document
                      (e.g. {"verification": {...}} or {"orgs": [...]}).
    profile_sections  kwargs: user. Return (template, context) or None: a section of the public
                      profile page (badges, credit, reviews).
    user_summaries    kwargs: user_ids (list of ints). Return {user_id: {key: value}} for the
                      bidder and claimant cards (keys: rating, reviews, completed, score, level);
                      read through `accounts.service.user_summaries(user_ids)`, one query per
                      receiver (no N+1).
    user_summary_columns   kwargs: user_id (an SQL expression: a user's id in a query). Return
                      {key: scalar SQL expression} giving, inside that query, the figure
                      user_summaries gives under the same key (completed, score): the matching of
                      tasks and solvers ranks by them in SQL. Read through
                      `accounts.service.user_summary_columns(user_id)`.
    user_blocklisted       kwargs: user, reason, by. Put on the blocklist (失信名单).
    user_blocklist_lifted  kwargs: user, reason, by.
"""
from ..core.events import NS

after_register = NS.signal("accounts.after_register")
me_payload = NS.signal("accounts.me_payload")
profile_sections = NS.signal("accounts.profile_sections")
user_summaries = NS.signal("accounts.user_summaries")
user_summary_columns = NS.signal("accounts.user_summary_columns")
user_blocklisted = NS.signal("accounts.user_blocklisted")
user_blocklist_lifted = NS.signal("accounts.user_blocklist_lifted")
