"""API token hashing and skill-tag normalisation."""
import hashlib

import pytest

from marketplace.accounts import service
from marketplace.accounts.models import ApiToken
from marketplace.core.errors import ValidationFailed
from marketplace.extensions import db
from tests.factories import make_user


def test_token_hash_is_sha256_hex_of_the_token():
    assert ApiToken.hash("hz_abc") == hashlib.sha256(b"hz_abc").hexdigest()
    assert len(ApiToken.hash("hz_abc")) == 64
    assert ApiToken.hash("hz_abc") != ApiToken.hash("hz_abd")


def test_created_token_is_stored_only_as_its_hash():
    user = make_user()
    row, token = service.create_token(user, "ci")
    db.session.commit()
    assert token.startswith("hz_") and len(token) > 40
    assert row.token_hash == ApiToken.hash(token)
    assert row.prefix == token[:10]
    stored = db.session.get(ApiToken, row.id)
    columns = [str(getattr(stored, c.name)) for c in ApiToken.__table__.columns]
    assert token not in columns


def test_two_tokens_differ():
    user = make_user()
    _a, first = service.create_token(user, "a")
    _b, second = service.create_token(user, "b")
    assert first != second


def test_skills_split_on_commas_and_chinese_separators():
    assert service.normalise_skills("光纤传感、嵌入式，信号处理; STM32") == ["光纤传感", "嵌入式", "信号处理", "STM32"]


def test_skills_are_trimmed_collapsed_and_deduplicated_case_insensitively():
    assert service.normalise_skills(" Machine   learning , machine learning,, Python ,python") == [
        "Machine learning", "Python"]


def test_skills_from_a_list():
    assert service.normalise_skills(["翻译", " 英语辅导 ", "翻译"]) == ["翻译", "英语辅导"]


def test_empty_skills():
    assert service.normalise_skills("") == []
    assert service.normalise_skills(None) == []


def test_too_long_skill_is_refused_on_skills():
    with pytest.raises(ValidationFailed) as err:
        service.normalise_skills("x" * 31)
    assert "skills" in err.value.errors


def test_too_many_skills_are_refused_on_skills():
    with pytest.raises(ValidationFailed) as err:
        service.normalise_skills(",".join(f"s{i}" for i in range(21)))
    assert "skills" in err.value.errors
