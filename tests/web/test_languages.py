"""The web app in Chinese and English: Accept-Language, the switch, and no open redirect through it."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import login
from xueliang.i18n import translator

TEMPLATES = Path(__file__).resolve().parents[2] / "xueliang/web/templates"


def test_every_web_text_has_a_chinese_translation() -> None:
    zh = translator("zh-CN")
    texts = {t for f in TEMPLATES.glob("*.html") for t in re.findall(r'tr\("([^"]+)"\)', f.read_text(encoding="utf-8"))}
    assert len(texts) >= 10
    assert sorted(t for t in texts if zh.gettext(t) == t) == []


def test_browser_language_then_the_switch(client: TestClient) -> None:
    en = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en">' in en and "<h1>Log in</h1>" in en
    zh = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).text
    assert '<html lang="zh-CN">' in zh and "<h1>登录</h1>" in zh and "Log in</h1>" not in zh
    # the switch wins over the browser's header, and is remembered
    r = client.get("/lang/zh-CN", params={"next": "/login"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "<h1>登录</h1>" in client.get("/login", headers={"Accept-Language": "en"}).text
    login(client, "investigator")
    page = client.get("/investigator").text
    assert "<h1>过车查询</h1>" in page and ">技战法</a>" in page and ">退出登录</button>" in page
    client.get("/lang/en", follow_redirects=False)
    assert "<h1>Sighting search</h1>" in client.get("/investigator").text


def test_switch_refuses_unknown_languages_and_foreign_targets(client: TestClient) -> None:
    assert client.get("/lang/fr", follow_redirects=False).status_code == 404
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        r = client.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", target
