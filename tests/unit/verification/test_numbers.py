"""Identity numbers at rest: keyed digests and masks, and the field messages for bad numbers."""
from flask import current_app

from marketplace.core import ids
from marketplace.verification import numbers
from tests.factories_orgs import resident_id, uscc, wrong_check_digit


def test_digest_is_keyed_stable_and_normalised():
    number = resident_id("11010519491231002")  # ends in X
    assert number.endswith("X")
    d = numbers.digest("resident_id", number)
    assert len(d) == 64 and number not in d
    assert numbers.digest("resident_id", number.lower()) == d
    assert numbers.digest("resident_id", " " + number[:6] + " " + number[6:]) == d
    assert numbers.digest("uscc", number) != d
    # A plain SHA-256 of the number would be reversible by enumeration; the digest is not one.
    import hashlib
    assert d != hashlib.sha256(number.encode()).hexdigest()


def test_digest_changes_with_the_key():
    number = resident_id()
    before = numbers.digest("resident_id", number)
    old = current_app.config.get("FIELD_ENCRYPTION_KEY")
    current_app.config["FIELD_ENCRYPTION_KEY"] = "another-key"
    try:
        assert numbers.digest("resident_id", number) != before
    finally:
        current_app.config["FIELD_ENCRYPTION_KEY"] = old


def test_mask_keeps_only_the_ends():
    number = resident_id()
    masked = numbers.masked(number)
    assert masked == number[:3] + "*" * 11 + number[-4:]
    assert number not in masked and len(masked) == 18


def test_resident_id_problems_name_the_check_digit():
    good = resident_id()
    assert numbers.resident_id_problem(good) is None
    message = str(numbers.resident_id_problem(wrong_check_digit(good)))
    assert "GB 11643" in message and "check digit" in message
    assert "18-character" in str(numbers.resident_id_problem("12345"))
    # right check digit, impossible birth date (month 13)
    body = "42010219901307123"
    assert "birth date" in str(numbers.resident_id_problem(body + ids.resident_id_check_char(body)))


def test_uscc_problems():
    good = uscc()
    assert ids.is_valid_uscc(good)
    assert numbers.uscc_problem(good) is None
    assert numbers.uscc_problem("91350100M000100Y43") is None  # the example in GB 32100
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert "GB 32100" in str(numbers.uscc_problem(bad))
    assert "18-character" in str(numbers.uscc_problem("91350100M00010OY43"))  # O is not allowed
