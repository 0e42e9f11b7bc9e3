"""/healthz and the language switch."""
from __future__ import annotations

from config import TestingConfig
from marketplace import create_app
from marketplace.extensions import db
from tests.factories import login, make_user


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_the_database_does_not_answer(tmp_path):
    broken = create_app(TestingConfig, UPLOAD_DIR=str(tmp_path),
                        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
                        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    try:
        response = broken.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["status"] == "error"
    finally:
        with broken.app_context():
            db.engine.dispose()


def test_lang_en_sets_a_cookie_and_the_next_page_is_english(client):
    response = client.get("/lang/en?next=/healthz")
    assert response.status_code == 302
    assert response.headers["Location"] == "/healthz"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "en"
    assert cookie.http_only

    page = client.get("/").get_data(as_text=True)
    assert "Gather the crowd, get the work done" in page
    assert 'data-testid="lang-zh"' in page


def test_lang_switch_back_to_chinese(client):
    client.get("/lang/en")
    client.get("/lang/zh")
    assert client.get_cookie("lang").value == "zh_CN"
    assert "汇聚众智" in client.get("/").get_data(as_text=True)


def test_the_cookie_wins_over_accept_language(client):
    client.get("/lang/zh_CN")
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "汇聚众智" in page


def test_unknown_language_falls_back_to_the_default(client):
    client.get("/lang/fr")
    assert client.get_cookie("lang").value == "zh_CN"


def test_a_logged_in_users_language_applies_without_a_cookie(client):
    user = make_user(locale="en")
    login(client, user)
    assert "Gather the crowd" in client.get("/").get_data(as_text=True)


def test_lang_keeps_a_local_next_with_query(client):
    response = client.get("/lang/en", query_string={"next": "/tasks?q=lab&page=2"})
    assert response.headers["Location"] == "/tasks?q=lab&page=2"


def test_lang_refuses_open_redirects(client):
    for target in ("https://evil.example/", "//evil.example/", "\\\\evil.example",
                   "javascript:alert(1)", "http:/evil.example", "evil.example"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target


def test_lang_next_with_a_backslash_stays_on_this_site(client):
    # Browsers read "/\\host" as "//host"; the redirect must keep the backslash escaped.
    response = client.get("/lang/en", query_string={"next": "/\\evil.example/"})
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "\\" not in location
