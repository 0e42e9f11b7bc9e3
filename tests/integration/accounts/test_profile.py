"""Own profile edit (with avatar) and the public profile."""
import io

from marketplace.accounts import events as accounts_events
from marketplace.accounts import service
from marketplace.accounts.models import User
from marketplace.core.files import absolute_path
from marketplace.extensions import db
from tests.factories import login, make_user, png_bytes

FIELDS = {"display_name": "王芳", "bio": "科技文献翻译。\n中学英语辅导。", "skills": "翻译、英语辅导, 翻译 ,科技写作",
          "city": "wuhan-hongshan", "locale": "en"}


def _fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_profile_edit_saves_normalised_fields(client):
    user = make_user("wang@example.com")
    login(client, user)
    resp = client.post("/me", data=FIELDS)
    assert resp.status_code == 303
    saved = _fresh(user)
    assert saved.display_name == "王芳"
    assert saved.bio == "科技文献翻译。\n中学英语辅导。"
    assert saved.skills == ["翻译", "英语辅导", "科技写作"]
    assert saved.city == "wuhan-hongshan"
    assert saved.locale == "en"
    html = client.get("/me").get_data(as_text=True)
    assert 'value="翻译, 英语辅导, 科技写作"' in html


def test_profile_refuses_unknown_city_and_empty_name_keeping_input(client):
    user = make_user("wang@example.com", display_name="Old name")
    login(client, user)
    resp = client.post("/me", data={**FIELDS, "city": "atlantis", "display_name": "", "bio": "kept bio"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="city"' in html and 'data-field="display_name"' in html
    assert "kept bio" in html
    assert _fresh(user).display_name == "Old name" and _fresh(user).bio == ""


def test_too_many_skills_are_refused_on_skills(client):
    user = make_user("wang@example.com")
    login(client, user)
    resp = client.post("/me", data={**FIELDS, "skills": ",".join(f"s{i}" for i in range(25))})
    assert resp.status_code == 422 and 'data-field="skills"' in resp.get_data(as_text=True)
    assert _fresh(user).skills == []


def test_avatar_png_is_accepted_and_served(client):
    user = make_user("wang@example.com")
    login(client, user)
    image = png_bytes()
    resp = client.post("/me", data={**FIELDS, "avatar": (io.BytesIO(image), "me.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 303
    saved = _fresh(user)
    assert saved.avatar_path and saved.avatar_path.startswith("avatars/") and saved.avatar_path.endswith(".png")
    with open(absolute_path(saved.avatar_path), "rb") as fh:
        assert fh.read() == image
    served = client.get(f"/users/{user.id}/avatar")
    assert served.status_code == 200 and served.data == image and served.mimetype == "image/png"
    assert service.avatar_url(saved) in client.get(f"/users/{user.id}").get_data(as_text=True)


def test_replacing_the_avatar_removes_the_old_file(client):
    user = make_user("wang@example.com")
    login(client, user)
    client.post("/me", data={**FIELDS, "avatar": (io.BytesIO(png_bytes()), "a.png")}, content_type="multipart/form-data")
    first = absolute_path(_fresh(user).avatar_path)
    client.post("/me", data={**FIELDS, "avatar": (io.BytesIO(png_bytes(8)), "b.png")}, content_type="multipart/form-data")
    second = absolute_path(_fresh(user).avatar_path)
    import os
    assert first != second and os.path.exists(second) and not os.path.exists(first)


def test_wrong_type_avatar_is_refused_on_avatar_and_nothing_saved(client):
    user = make_user("wang@example.com", display_name="Old name")
    login(client, user)
    resp = client.post("/me", data={**FIELDS, "avatar": (io.BytesIO(b"hello, I am text"), "me.png")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="avatar"' in html and "not accepted" in html
    saved = _fresh(user)
    assert saved.avatar_path is None and saved.display_name == "Old name"


def test_oversized_avatar_is_refused_on_avatar(app, client, monkeypatch):
    user = make_user("wang@example.com")
    login(client, user)
    monkeypatch.setitem(app.config, "AVATAR_MAX_BYTES", 1024)
    big = png_bytes(64) + b"\0" * 2048
    resp = client.post("/me", data={**FIELDS, "avatar": (io.BytesIO(big), "big.png")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="avatar"' in html and "larger than" in html
    assert _fresh(user).avatar_path is None


def test_public_profile_shows_public_fields_only(client):
    user = make_user("li@example.com", display_name="李明", bio="光纤传感工程师", skills=["光纤传感", "嵌入式"],
                     city="yichang")
    html = client.get(f"/users/{user.id}").get_data(as_text=True)
    assert "李明" in html and "光纤传感工程师" in html and "嵌入式" in html
    assert 'data-testid="profile-city"' in html
    assert "li@example.com" not in html


def test_public_profile_renders_registered_sections(client, tmp_path, app):
    user = make_user("li@example.com", display_name="李明")
    def section(_sender, *, user):
        return "accounts/_test_section.html", {"badge": f"badge-for-{user.id}"}

    accounts_events.profile_sections.connect(section)
    loader = app.jinja_loader
    from jinja2 import ChoiceLoader, DictLoader
    app.jinja_loader = ChoiceLoader([DictLoader({"accounts/_test_section.html": "<p>{{ ctx.badge }}</p>"}), loader])
    app.jinja_env.cache = {}
    try:
        html = client.get(f"/users/{user.id}").get_data(as_text=True)
    finally:
        accounts_events.profile_sections.disconnect(section)
        app.jinja_loader = loader
        app.jinja_env.cache = {}
    assert f"<p>badge-for-{user.id}</p>" in html


def test_unknown_and_suspended_public_profiles_are_404(client):
    from marketplace.core.db import utcnow
    user = make_user("bad@example.com", suspended_at=utcnow())
    assert client.get("/users/999999").status_code == 404
    assert client.get(f"/users/{user.id}").status_code == 404


def test_avatar_of_a_user_without_one_is_404(client):
    user = make_user()
    assert client.get(f"/users/{user.id}/avatar").status_code == 404
