"""The password policy and hashing, without HTTP."""
from marketplace.accounts.passwords import check_password, hash_password, password_problems


def _texts(password, email=None):
    return [str(p) for p in password_problems(password, email)]


def test_a_long_mixed_password_passes():
    assert _texts("river-lantern-88", "li@example.com") == []


def test_nine_characters_is_too_short():
    problems = _texts("abcde-123")
    assert len(problems) == 1 and "10" in problems[0]


def test_ten_characters_is_long_enough():
    assert _texts("abcde-1234") == []


def test_only_digits_is_refused_even_when_long():
    problems = _texts("20261127153045")
    assert problems and any("digits" in p for p in problems)


def test_password_equal_to_email_is_refused_case_insensitively():
    problems = _texts("Li.Ming@Example.com", "li.ming@example.com")
    assert any("email" in p for p in problems)


def test_common_password_is_refused_case_insensitively():
    assert any("common" in p for p in _texts("Password123"))
    assert any("common" in p for p in _texts("qwertyuiop"))


def test_several_problems_are_all_reported():
    # short, digits only
    assert len(_texts("12345")) == 2


def test_empty_password_is_refused():
    assert _texts("") and _texts(None)


def test_hash_is_not_the_password_and_verifies():
    hashed = hash_password("river-lantern-88")
    assert "river-lantern-88" not in hashed
    assert hashed.startswith("$argon2id$")
    assert check_password(hashed, "river-lantern-88")
    assert not check_password(hashed, "river-lantern-89")


def test_check_password_with_a_broken_hash_is_false_not_an_error():
    assert check_password("not-a-hash", "whatever-password") is False


def test_two_hashes_of_one_password_differ():
    assert hash_password("river-lantern-88") != hash_password("river-lantern-88")
