"""Bounty page forms (the API uses the same services with JSON or multipart bodies)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import Optional

from ..accounts.models import User
from ..core.errors import ValidationFailed
from ..extensions import db
from ..tasks.forms import DateTimeLocalField, MoneyListField


class SubmissionForm(FlaskForm):
    text = TextAreaField(_l("Your solution"), render_kw={"maxlength": 20000, "rows": 8},
                         description=_l("Describe the solution; attach files below. Only you and the poster see it."))
    files = MultipleFileField(_l("Files"), description=_l("PDF, images, ZIP or text; the type is checked by content."))
    coauthors = TextAreaField(_l("Co-authors"), render_kw={"rows": 3, "placeholder": "li.ming@example.com 40"},
                              description=_l("One per line: e-mail and share in percent. You keep what they leave."))

    def coauthor_list(self) -> list[dict]:
        """[{user_id, share_bps}] from "email percent" lines; 422 naming `coauthors` otherwise."""
        result = []
        for line in (self.coauthors.data or "").splitlines():
            line = line.strip()
            if not line:
                continue
            match = re.fullmatch(r"(\S+@\S+)[\s,，]+(\d{1,3}(?:\.\d{1,2})?)\s*%?", line)
            if not match:
                raise ValidationFailed(errors={"coauthors": [_l("Write each co-author as “e-mail percent”.")]})
            user = db.session.scalar(db.select(User).where(User.email == match.group(1).lower()))
            if user is None:
                raise ValidationFailed(errors={"coauthors": [_l("No user has the e-mail %(email)s.",
                                                                email=match.group(1))]})
            result.append({"user_id": user.id, "share_bps": int(round(float(match.group(2)) * 100))})
        return result


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the solver reads it)"), render_kw={"maxlength": 2000, "rows": 2})


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Private note"), render_kw={"maxlength": 2000, "rows": 2})


class ShortlistForm(FlaskForm):
    shortlisted = BooleanField(_l("Shortlisted"))


class AmendForm(FlaskForm):
    prizes = MoneyListField(_l("New prizes"), description=_l("1st, 2nd, … separated by commas; each at least as before"))
    max_pieces = IntegerField(_l("New maximum number of pieces"), validators=[Optional()])
    submission_deadline = DateTimeLocalField(_l("New submission deadline"))


class RefundForm(FlaskForm):
    reason = TextAreaField(_l("Reason (every participant reads it)"), render_kw={"maxlength": 2000, "rows": 3})


class ReceiptLookupForm(FlaskForm):
    class Meta:
        csrf = False

    sha256 = StringField(_l("Fingerprint (SHA-256)"), render_kw={"maxlength": 64, "spellcheck": "false"})
