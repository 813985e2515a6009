"""Every page in zh-CN in real headless Chromium: under ``Accept-Language: zh-CN`` no visible text node is left in
English (numbers, codes, plates, units, file names, commands and proper names allowed), including the texts the
page scripts build. Screenshots go to the pytest tmp folder (zh_*.png)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.factories import TrajData, WebData
from tests.web.test_browser import browser, logged_in, server, traj_server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
# the visible text nodes (and option labels, titles of cells) of the page, with the id of the nearest element
TEXTS = """() => {
  const out = [];
  // what people typed (a mark's reason: class user-text) is data, shown as typed
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    const text = n.textContent.trim();
    if (!text || !el || el.closest('script, style, code, textarea, .user-text, #i18n-messages')) continue;
    if (!el.getClientRects().length && el.tagName !== 'OPTION') continue;
    const owner = el.closest('[id]');
    out.push([owner ? owner.id : el.tagName, text]);
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [alt], [placeholder]')) {
    for (const a of ['title', 'aria-label', 'alt', 'placeholder']) {
      const v = el.getAttribute(a);
      if (v) out.push([el.id || el.tagName, v]);
    }
  }
  return out;
}"""
#: what may stay in Latin letters: units, formats, codes, names of tools, statistics and methods
ALLOWED_WORDS = {
    "xueliang",
    "en",
    "zh",
    "CN",
    "UTC",
    "SUV",
    "JSON",
    "OSM",
    "CSV",
    "ISO",
    "PDF",
    "px",
    "km",
    "mm",
    "ms",
    "TB",
    "csv",
    "xlsx",
    "geojson",
    "zip",
    "Cox",
    "Kaplan",
    "Meier",
    "logistic",
    "Wilson",
    "Leaflet",
    "OpenStreetMap",
    "Mbit",
    "fps",
    "JavaScript",
    "duckdb",
    "polars",
    "sqlite",
    "EPSG",
    "LON",
    "LAT",
    "METRES",
    "FROM",
    "TO",
    "FILE",
    "DIR",
    "IANA",
    "CJK",
    "sha256",
    "A",
    "B",
}
# commands, options, file paths and links shown for the user to type or open
LITERALS = re.compile(
    r"xueliang( [a-z-]+)+( --[a-z-]+)*( [A-Z]+)?|--[a-z-]+|serve --osm FILE"
    r"|[\w./-]+\.(md|csv|xlsx|geojson|json|png|osm|pbf|gpkg)|/[\w./-]+|\b[a-z]+-\d+\b"
)


def data_names() -> set[str]:
    """Proper names the pages show as data: OSM names of the sample town (villages, streets), the catalogue's
    camera models, the users and the default case of a mark ("web")."""
    town = (ROOT / "sample_media/town.osm").read_text(encoding="utf-8")
    names = {html.unescape(v) for v in re.findall(r'k="name(?::[a-z]+)?" v="([^"]+)"', town)}
    from geo.catalogue import load_catalogue

    names |= {m.name for m in load_catalogue(None).models}
    return names | {"admin", "planner", "investigator", "reviewer", "scenario-1", "web"}


def english_words(text: str, names: set[str]) -> list[str]:
    """The Latin words of ``text`` that are neither allowed nor names of the page's data."""
    text = LITERALS.sub(" ", text)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    words = re.findall(r"[A-Za-z][A-Za-z'_]*", text)
    return [w for w in words if len(w) > 1 and w not in ALLOWED_WORDS and not re.fullmatch(r"[A-Z][A-Z0-9]*", w)]


def untranslated(page: Any, names: set[str]) -> list[tuple[str, str]]:
    return [(where, text) for where, text in page.evaluate(TEXTS) if english_words(text, names)]


@pytest.fixture
def zh_login(browser: Any) -> Iterator[Any]:  # noqa: F811
    contexts: list[Any] = []

    def _login(base: str, role: str) -> Any:
        return logged_in(browser, base, role, contexts, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})

    yield _login
    for ctx in contexts:
        ctx.close()


def test_pages_in_chinese_have_no_english_text(
    zh_login: Any,
    server: str,  # noqa: F811
    traj_server: str,  # noqa: F811
    web_data: WebData,
    traj_data: TrajData,
    tmp_path: Path,
) -> None:
    found: dict[str, list[tuple[str, str]]] = {}
    names = data_names()
    page = zh_login(server, "admin")
    page.goto(f"{server}/login")
    found["/login"] = untranslated(page, names)
    urls = (
        "/reviewer",
        "/investigator",
        f"/investigator/sightings/{web_data.sighting_ids[0]}",
        "/investigator/scenes",
        "/investigator/scenes?scenes=112.9,28.2,150,2024-05-01T00:00,2024-05-02T00:00&k=1",
        "/investigator/tactics",
        "/investigator/tactics?tactic=nocturnal",
    )
    for url in urls:
        page.goto(server + url)
        page.wait_for_load_state("networkidle")
        found[url] = untranslated(page, names)
        page.screenshot(path=str(tmp_path / f"zh_{re.sub(r'[^a-z0-9]+', '_', url)}.png"), full_page=True)
    page.goto(f"{server}/planner")
    expect(page.locator("#wb-status")).to_have_attribute("data-ready", "1", timeout=60000)
    assert "工作台就绪" in page.locator("#wb-status").inner_text()
    page.locator(".wb-cam").first.click()
    expect(page.locator("#wb-numbers")).to_contain_text("px/m")
    assert "识别距离" in page.locator("#wb-numbers").inner_text()
    found["/planner"] = untranslated(page, names)
    page.screenshot(path=str(tmp_path / "zh_planner.png"), full_page=True)
    # the trajectory map of a vehicle seen at five cameras, one without a position (a note built in JavaScript)
    traj = zh_login(traj_server, "investigator")
    traj.goto(f"{traj_server}/investigator/sightings/{traj_data.ids['a']}")
    expect(traj.locator("#traj-status")).to_have_attribute("data-ready", "1", timeout=60000)
    assert "按时间排序" in traj.locator("#traj-status").inner_text()
    assert "未画出" in traj.locator("#traj-unlocated").inner_text()
    found["trajectory"] = untranslated(traj, names)
    traj.screenshot(path=str(tmp_path / "zh_trajectory.png"), full_page=True)
    left = {url: texts for url, texts in found.items() if texts}
    assert not left, f"English left on pages in zh-CN (screenshots in {tmp_path}): {left}"


def test_english_pages_stay_english(browser: Any, server: str) -> None:  # noqa: F811
    """The same check finds English when the page is English: the check itself can fail."""
    ctx = browser.new_context(extra_http_headers={"Accept-Language": "en"})
    page = ctx.new_page()
    page.goto(f"{server}/login")
    assert ("login-submit", "Log in") in [tuple(t) for t in page.evaluate(TEXTS)]
    assert untranslated(page, data_names())
    ctx.close()
