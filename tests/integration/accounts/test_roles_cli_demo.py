"""Roles (service, policies, CLI), the login rate limit, and the demo users."""
import pytest
from flask import Blueprint

from config import TestingConfig
from marketplace import create_app
from marketplace.accounts import demo, service
from marketplace.accounts.cli import users_cli
from marketplace.accounts.models import User
from marketplace.accounts.passwords import check_password
from marketplace.accounts.policies import operator_required, require_admin, require_operator
from marketplace.core.errors import Forbidden, NotAuthenticated, ValidationFailed
from marketplace.extensions import db, limiter
from tests.factories import PASSWORD, login, make_admin, make_operator, make_user

from .helpers import audit_rows, count, user_by_email

# --- roles -------------------------------------------------------------------------------------------


def test_admin_sets_a_role_and_it_is_audited():
    admin, user = make_admin(), make_user()
    service.set_role(admin, user, "operator")
    db.session.commit()
    assert user_by_email(user.email).role == "operator"
    rows = audit_rows("user.role_changed")
    assert len(rows) == 1 and rows[0].actor_id == admin.id and rows[0].target_id == str(user.id)
    assert rows[0].details["previous"] == "member" and rows[0].details["role"] == "operator"


@pytest.mark.parametrize("maker", [make_user, make_operator])
def test_only_admins_set_roles(maker):
    actor, user = maker(), make_user()
    with pytest.raises(Forbidden):
        service.set_role(actor, user, "admin")
    with pytest.raises(NotAuthenticated):
        service.set_role(None, user, "admin")
    assert user.role == "member"


def test_unknown_role_is_refused_on_role():
    with pytest.raises(ValidationFailed) as err:
        service.set_role(make_admin(), make_user(), "superuser")
    assert "role" in err.value.errors


def test_require_operator_and_admin():
    require_operator(make_operator())
    require_operator(make_admin())
    require_admin(make_admin())
    with pytest.raises(Forbidden):
        require_operator(make_user())
    with pytest.raises(Forbidden):
        require_admin(make_operator())
    with pytest.raises(NotAuthenticated):
        require_operator(None)


def test_operator_required_page_decorator():
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=db.engine.url.render_as_string(hide_password=False),
                     SERVER_NAME=None)
    bp = Blueprint("guarded", __name__)

    @bp.get("/guarded")
    @operator_required
    def guarded():
        return "operator page"
    app.register_blueprint(bp)
    with app.app_context():
        member, operator = make_user(), make_operator()
        client = app.test_client()
        anonymous = client.get("/guarded")
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
        login(client, member)
        assert client.get("/guarded").status_code == 403
        login(client, operator)
        resp = client.get("/guarded")
        assert resp.status_code == 200 and resp.get_data(as_text=True) == "operator page"
        db.session.remove()
        db.engine.dispose()


# --- CLI ----------------------------------------------------------------------------------------------

def test_cli_creates_a_user_with_a_role(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Ops@Huizhong.example", "--password", "river-lantern-88",
                                 "--role", "operator", "--name", "运营"])
    assert result.exit_code == 0, result.output
    assert "ops@huizhong.example" in result.output
    user = user_by_email("ops@huizhong.example")
    assert user.role == "operator" and user.display_name == "运营"
    assert check_password(user.password_hash, "river-lantern-88")
    assert audit_rows("user.role_changed")[0].details["via"] == "cli"


def test_cli_refuses_duplicates_and_weak_passwords(app):
    make_user("taken@example.com")
    runner = app.test_cli_runner()
    result = runner.invoke(users_cli, ["create", "TAKEN@example.com", "--password", "river-lantern-88"])
    assert result.exit_code == 1 and "email" in result.output and "already exists" in result.output
    result = runner.invoke(users_cli, ["create", "new@example.com", "--password", "123456789012"])
    assert result.exit_code == 1 and "password" in result.output
    result = runner.invoke(users_cli, ["create", "new@example.com", "--password", "river-lantern-88",
                                       "--role", "king"])
    assert result.exit_code != 0
    assert count(User) == 1


def test_cli_set_role(app):
    make_user("li@example.com")
    runner = app.test_cli_runner()
    result = runner.invoke(users_cli, ["set-role", "LI@example.com", "admin"])
    assert result.exit_code == 0, result.output
    assert user_by_email("li@example.com").role == "admin"
    result = runner.invoke(users_cli, ["set-role", "nobody@example.com", "admin"])
    assert result.exit_code == 1 and "no user" in result.output


# --- rate limit ---------------------------------------------------------------------------------------

def test_login_and_token_exchange_are_rate_limited(app):
    limited = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         UPLOAD_DIR=app.config["UPLOAD_DIR"], SERVER_NAME=None,
                         RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute",
                         RESET_MAIL_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_FAILURES=100)
    try:
        with limited.app_context():
            make_user("li@example.com")
            client = limited.test_client()
            form = {"email": "li@example.com", "password": "wrong-password-77"}
            statuses = [client.post("/login", data=form).status_code for _ in range(4)]
            assert statuses == [422, 422, 422, 429]
            # Only POSTs count: the page still opens.
            assert client.get("/login").status_code == 200
            api = [client.post("/api/v1/tokens", json=form).status_code for _ in range(4)]
            assert api == [401, 401, 401, 429]
            last = client.post("/api/v1/tokens", json={"email": "li@example.com", "password": PASSWORD})
            assert last.status_code == 429 and last.mimetype == "application/problem+json"
            assert len(audit_rows("login.failed")) == 6
            mails = [client.post("/password/forgot", data={"email": "li@example.com"}).status_code
                     for _ in range(4)]
            assert mails == [303, 303, 303, 429]
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.reset()
        limiter.enabled = app.config["RATELIMIT_ENABLED"]


# --- demo ---------------------------------------------------------------------------------------------

def test_demo_load_is_idempotent():
    context: dict = {}
    demo.load(context)
    db.session.commit()
    assert context["password"] == "huizhong-demo-2026"
    users = context["users"]
    assert users["operator"].role == "operator" and users["admin"].role == "admin"
    assert users["solver_li"].display_name == "李明" and "光纤传感" in users["solver_li"].skills
    assert users["solver_wang"].city == "wuhan-hongshan"
    assert any(u.city == "yichang" for u in users.values())
    assert users["poster_org"].org_name == "华科大科技园"
    assert ("Operator", "operator@huizhong.example") in context["logins"]
    assert check_password(users["solver_wang"].password_hash, "huizhong-demo-2026")
    before = count(User)

    again: dict = {}
    demo.load(again)
    db.session.commit()
    assert count(User) == before
    assert again["users"]["solver_li"].id == users["solver_li"].id


# --- role changes through the page and the API -------------------------------------------------------

def test_admin_changes_a_role_on_the_profile_page(client):
    admin, user = make_admin(), make_user()
    login(client, admin)
    assert 'data-testid="role-form"' in client.get(f"/users/{user.id}").get_data(as_text=True)
    resp = client.post(f"/users/{user.id}/role", data={"role": "operator"})
    assert resp.status_code == 303
    assert user_by_email(user.email).role == "operator"
    assert audit_rows("user.role_changed")[0].actor_id == admin.id


@pytest.mark.parametrize("maker", [make_user, make_operator])
def test_non_admins_cannot_change_roles_on_pages(client, maker):
    actor, user = maker(), make_user()
    login(client, actor)
    assert 'data-testid="role-form"' not in client.get(f"/users/{user.id}").get_data(as_text=True)
    assert client.post(f"/users/{user.id}/role", data={"role": "admin"}).status_code == 403
    assert user_by_email(user.email).role == "member" and audit_rows("user.role_changed") == []


def test_anonymous_role_change_goes_to_login(client):
    user = make_user()
    resp = client.post(f"/users/{user.id}/role", data={"role": "admin"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_unknown_role_on_the_page_is_refused(client):
    admin, user = make_admin(), make_user()
    login(client, admin)
    assert client.post(f"/users/{user.id}/role", data={"role": "king"}).status_code == 422
    assert user_by_email(user.email).role == "member"


def test_role_change_by_api(client):
    from tests.factories import api_headers
    admin, user = make_admin(), make_user()
    resp = client.post(f"/api/v1/users/{user.id}/role", json={"role": "operator"}, headers=api_headers(admin))
    assert resp.status_code == 200 and resp.get_json()["roles"] == ["member", "operator"]
    resp = client.post(f"/api/v1/users/{user.id}/role", json={"role": "king"}, headers=api_headers(admin))
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"role"}
    resp = client.post(f"/api/v1/users/{admin.id}/role", json={"role": "member"}, headers=api_headers(user))
    assert resp.status_code == 403
    assert user_by_email(admin.email).role == "admin" and user_by_email(user.email).role == "operator"


def test_admin_cannot_change_their_own_role():
    admin = make_admin()
    with pytest.raises(ValidationFailed) as err:
        service.set_role(admin, admin, "member")
    assert "role" in err.value.errors and admin.role == "admin"
