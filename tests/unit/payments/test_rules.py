"""Fast rules: bank transfer references, amount checks, the fundables registry and how Stripe
errors become domain errors."""
from __future__ import annotations

import re

import pytest
import stripe

from marketplace.core.errors import NotFound, ServiceUnavailable, ValidationFailed
from marketplace.core.money import MAX_AMOUNT
from marketplace.payments import fundables, gateway, service


def test_references_are_short_unambiguous_and_unique():
    codes = {service.new_reference() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"HZ-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        assert not set(code[3:].replace("-", "")) & set("01OIL")


@pytest.mark.parametrize("typed, expected", [
    ("hz-7k3q-92xd", "HZ-7K3Q-92XD"), ("HZ 7K3Q 92XD", "HZ-7K3Q-92XD"), ("7k3q92xd", "HZ-7K3Q-92XD"),
])
def test_references_typed_by_an_operator_are_normalised(typed, expected):
    assert service.normalise_reference(typed) == expected


@pytest.mark.parametrize("value", [0, -1, 1.5, "10", True, None, MAX_AMOUNT + 1, 10**40])
def test_check_amount_refuses_naming_the_field(value):
    with pytest.raises(ValidationFailed) as exc:
        service.check_amount(value, "amount")
    assert list(exc.value.errors) == ["amount"]


def test_check_amount_accepts_positive_integers():
    assert service.check_amount(1) == 1
    assert service.check_amount(MAX_AMOUNT) == MAX_AMOUNT


def test_fundables_registry():
    def loader(subject_id):
        return None

    fundables.register("unit_thing", loader)
    try:
        fundables.register("unit_thing", loader)  # the same loader again is fine
        with pytest.raises(ValueError):
            fundables.register("unit_thing", lambda subject_id: None)
        with pytest.raises(NotFound):
            fundables.load("unit_thing", 1)  # loader found nothing
        assert "unit_thing" in fundables.kinds()
    finally:
        fundables.unregister("unit_thing")
    with pytest.raises(NotFound):
        fundables.load("unit_thing", 1)


def _raise(exc):
    def fn(*args, **kwargs):
        raise exc
    return fn


def test_stripe_unreachable_is_service_unavailable():
    with pytest.raises(ServiceUnavailable) as exc:
        gateway._call(_raise(stripe.APIConnectionError("connection refused")))
    assert exc.value.status == 503
    assert "payment service is unavailable" in str(exc.value.message)


def test_a_declined_card_names_the_card_field():
    with pytest.raises(ValidationFailed) as exc:
        gateway._call(_raise(stripe.CardError("Your card was declined.", None, "card_declined")))
    assert "card" in exc.value.errors


def test_a_refusal_is_a_409():
    with pytest.raises(gateway.PaymentRefused) as exc:
        gateway._call(_raise(stripe.InvalidRequestError("insufficient funds", None)))
    assert exc.value.status == 409


def test_card_payments_follow_the_secret_key(app):
    with app.test_request_context():
        app.config["STRIPE_SECRET_KEY"] = ""
        assert not service.card_enabled()
        assert service.available_methods() == ["bank_transfer", "wallet"]
        with pytest.raises(ServiceUnavailable):
            gateway.client()
        app.config["STRIPE_SECRET_KEY"] = "sk_test_unit"
        try:
            assert service.available_methods() == ["card", "bank_transfer", "wallet"]
            assert gateway.client() is gateway.client()  # built once per configuration
        finally:
            app.config["STRIPE_SECRET_KEY"] = ""
