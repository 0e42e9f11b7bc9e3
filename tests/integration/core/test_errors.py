"""Error handling: RFC 9457 problems on the API, error pages in both languages."""
from __future__ import annotations

import pytest

from .conftest import probe_rows

EN = {"Accept-Language": "en"}


def assert_problem(response, status, type_suffix):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == f"https://huizhong.example/problems/{type_suffix}"
    assert body["title"]
    assert body["detail"]
    return body


def test_api_unknown_path_is_a_404_problem(client):
    body = assert_problem(client.get("/api/v1/no-such-thing"), 404, "404")
    assert body["title"] == "Not Found"


def test_api_wrong_method_is_a_405_problem(client):
    body = assert_problem(client.delete("/api/v1/openapi.json"), 405, "405")
    assert body["title"] == "Method Not Allowed"


def test_api_without_token_is_a_401_problem(client):
    body = assert_problem(client.get("/api/v1/notifications"), 401, "not-authenticated")
    assert "errors" not in body


def test_api_with_a_bad_token_is_a_401_problem(client):
    assert_problem(client.get("/api/v1/notifications", headers={"Authorization": "Bearer nope"}),
                   401, "not-authenticated")


def test_api_unexpected_error_is_a_500_problem_without_internals(probe):
    response = probe.get("/api/v1/_probe/boom")
    body = assert_problem(response, 500, "500")
    assert "kaboom" not in response.get_data(as_text=True)
    assert body["title"] == "Internal Server Error"


def test_api_domain_error_is_a_problem_and_commits_nothing(probe):
    body = assert_problem(probe.post("/api/v1/_probe/wrong-state", json={}), 409, "wrong-state")
    assert body["title"] == "This task was already awarded."
    assert probe_rows() == []


def test_api_validation_problem_names_each_field(probe):
    body = assert_problem(probe.post("/api/v1/_probe/validation", json={}), 422, "validation-failed")
    assert body["errors"] == {"amount": ["Too small."], "days": ["Required."]}


def test_api_problem_messages_follow_accept_language(probe):
    body = probe.post("/api/v1/_probe/validation", json={}).get_json()
    assert body["title"] == "部分字段填写有误。"
    body = probe.post("/api/v1/_probe/validation", json={}, headers=EN).get_json()
    assert body["title"] == "Some fields are not valid."


# --- pages -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path, status, zh, en", [
    ("/no-such-page", 404, "此页面不存在。", "This page does not exist."),
    ("/_probe/abort403", 403, "您无权查看此页面。", "You are not allowed to see this page."),
    ("/_probe/forbidden", 403, "您无权执行此操作。", "You are not allowed to do that."),
    ("/_probe/boom", 500, "服务器出错了，我们已记录此问题。", "Something went wrong on our side. It has been logged."),
])
def test_error_pages_in_both_languages(probe, path, status, zh, en):
    chinese = probe.get(path)
    assert chinese.status_code == status
    text = chinese.get_data(as_text=True)
    assert '<html lang="zh-CN">' in text
    assert f'<p data-testid="error-message">{zh}</p>' in text
    assert "返回首页" in text

    english = probe.get(path, headers=EN)
    assert english.status_code == status
    text = english.get_data(as_text=True)
    assert '<html lang="en">' in text
    assert f'<p data-testid="error-message">{en}</p>' in text
    assert "Back to the home page" in text


def test_method_not_allowed_page(client):
    response = client.post("/healthz", headers=EN)
    assert response.status_code == 405
    assert "This method is not allowed here." in response.get_data(as_text=True)


def test_home_page_is_chinese_by_default_and_english_on_request(client):
    chinese = client.get("/").get_data(as_text=True)
    assert '<h1 data-testid="home-title">汇聚众智，成就每一项任务</h1>' in chinese
    assert "发布研发难题" in chinese
    english = client.get("/", headers=EN).get_data(as_text=True)
    assert '<h1 data-testid="home-title">Gather the crowd, get the work done</h1>' in english
