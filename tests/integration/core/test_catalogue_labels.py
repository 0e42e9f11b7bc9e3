"""Select lists built from the catalogue render in the language of each request."""
from tests.factories import login, make_user


def test_category_and_city_choices_follow_the_request_language(client):
    login(client, make_user())
    zh = client.get("/tasks/new", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "科研众包 · 研发攻关" in zh and "武汉 · 东湖高新区" in zh
    en = client.get("/tasks/new", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Research crowdsourcing · Technology transfer" in en and "Wuhan · East Lake High-tech Zone" in en
    assert "科研众包" not in en
