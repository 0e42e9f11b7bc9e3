"""API helpers: cursors, json_form field errors, page parameters."""
from __future__ import annotations

import pytest
from flask import current_app
from wtforms import BooleanField, FieldList, Form, IntegerField, StringField
from wtforms.validators import DataRequired, NumberRange

from marketplace.api import _flat_errors, decode_cursor, encode_cursor, json_form, page_params
from marketplace.core.errors import ValidationFailed


def test_cursor_round_trip_is_url_safe_without_padding():
    for data in ({"before": 1}, {"before": 123456789, "k": "价格"}, {}):
        cursor = encode_cursor(data)
        assert "=" not in cursor and "+" not in cursor and "/" not in cursor
        assert decode_cursor(cursor) == data


@pytest.mark.parametrize("cursor", ["not base64!!", "bm90IGpzb24", "WzEsMl0", "游标"])  # garbage, "not json", [1,2]
def test_bad_cursor_is_a_field_error(cursor):
    with pytest.raises(ValidationFailed) as exc:
        decode_cursor(cursor)
    assert list(exc.value.errors) == ["cursor"]


@pytest.mark.parametrize("data", [{"before": "abc"}, [1], 1e30, {"before": 1e30}, {"before": 2**64},
                                  {"before": 0}, {"before": True}, {"before": None}, {"before": [1]},
                                  {"v": 2**70, "id": 1}, {"t": "x" * 100, "id": 1}, "before"])
def test_cursor_with_values_no_query_can_use_is_a_field_error(data):
    import base64
    import json
    cursor = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    with pytest.raises(ValidationFailed) as exc:
        decode_cursor(cursor)
    assert list(exc.value.errors) == ["cursor"]


def test_flat_errors_names_nested_fields():
    errors = {"title": ["Required."],
              "address": {"city": ["Unknown city."]},
              "milestones": [{"amount": ["Too small."]}, {}, {"days": ["Required."], "x": {"y": ["Bad."]}}]}
    assert _flat_errors(errors) == {
        "title": ["Required."],
        "address.city": ["Unknown city."],
        "milestones[0].amount": ["Too small."],
        "milestones[2].days": ["Required."],
        "milestones[2].x.y": ["Bad."],
    }


class MilestoneForm(Form):
    title = StringField(validators=[DataRequired()])
    amount = IntegerField(validators=[NumberRange(min=1)])


class BidForm(Form):
    amount = IntegerField(validators=[DataRequired(), NumberRange(min=100)])
    proposal = StringField(validators=[DataRequired()])
    urgent = BooleanField()
    tags = FieldList(StringField(), min_entries=0)


def test_json_form_accepts_a_valid_body():
    with current_app.test_request_context("/api/v1/x", method="POST",
                                          json={"amount": 500, "proposal": "Plan", "urgent": True}):
        form = json_form(BidForm)
    assert form.amount.data == 500
    assert form.proposal.data == "Plan"
    assert form.urgent.data is True


def test_json_form_false_and_null_mean_absent():
    with current_app.test_request_context("/api/v1/x", method="POST",
                                          json={"amount": 500, "proposal": "Plan", "urgent": False}):
        form = json_form(BidForm)
    assert form.urgent.data is False


def test_json_form_names_every_bad_field():
    with current_app.test_request_context("/api/v1/x", method="POST", json={"amount": 5, "proposal": None}):
        with pytest.raises(ValidationFailed) as exc:
            json_form(BidForm)
    assert set(exc.value.errors) == {"amount", "proposal"}
    assert all(isinstance(m, str) for msgs in exc.value.errors.values() for m in msgs)


def test_json_form_rejects_non_object_and_invalid_json():
    with current_app.test_request_context("/api/v1/x", method="POST", json=[1, 2]):
        with pytest.raises(ValidationFailed) as exc:
            json_form(BidForm)
    assert list(exc.value.errors) == ["body"]
    with current_app.test_request_context("/api/v1/x", method="POST", data="{nope",
                                          content_type="application/json"):
        with pytest.raises(ValidationFailed) as exc:
            json_form(BidForm)
    assert list(exc.value.errors) == ["body"]


@pytest.mark.parametrize("query, expected", [("", 20), ("limit=1", 1), ("limit=100", 100)])
def test_page_params_limits(query, expected):
    with current_app.test_request_context(f"/api/v1/x?{query}"):
        assert page_params() == (expected, None)


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "limit=-1"])
def test_page_params_refuses_bad_limits(query):
    with current_app.test_request_context(f"/api/v1/x?{query}"):
        with pytest.raises(ValidationFailed) as exc:
            page_params()
    assert list(exc.value.errors) == ["limit"]


def test_page_params_decodes_the_cursor():
    with current_app.test_request_context(f"/api/v1/x?cursor={encode_cursor({'before': 9})}"):
        assert page_params() == (20, {"before": 9})
