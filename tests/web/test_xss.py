"""Stored XSS: markup in every stored text field stays text on every page and in every map popup.

Real headless Chromium (Debian's /usr/bin/chromium through playwright's client). The stored values carry
``<img src=x onerror=alert(1)>`` and ``<script>alert(2)</script>``; the test counts script runs three
ways: dialogs opened, Content-Security-Policy violations reported by the page (markup that got into the
DOM and was only stopped by the policy), and the values read back as visible text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.factories import PASSWORD, WebData
from tests.web.hostile import HOSTILE_USER, IMG, HostileData, build_hostile, mark
from tests.web.live import log_in, serve
from tests.web.test_browser import CHROMIUM, FLAGS, sync_api
from xueliang.web.settings import WebSettings

# Before any page script: count CSP violations, and keep every Leaflet map created so the test can open
# each layer's popup (the maps live in the page scripts' closures).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective));
window.__maps = [];
let leaflet;
Object.defineProperty(window, "L", {
  configurable: true,
  get() { return leaflet; },
  set(v) { leaflet = v; if (v && v.Map) v.Map.addInitHook(function () { window.__maps.push(this); }); },
});
"""
# every popup of every map: open it, read its text, close it
POPUPS = """
() => {
  const texts = [];
  for (const map of window.__maps) {
    const layers = [];
    map.eachLayer((l) => { if (l.getPopup && l.getPopup()) layers.push(l); });
    for (const l of layers) {
      const ll = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
      l.openPopup(ll);
      const el = l.getPopup().getElement();
      texts.push(el ? el.querySelector(".leaflet-popup-content").textContent : "");
      l.closePopup();
    }
  }
  return texts;
}
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, web_data: WebData) -> HostileData:
    return build_hostile(tmp_path_factory.mktemp("hostile"), web_data)


@pytest.fixture(scope="module")
def hostile_server(hostile: HostileData) -> Iterator[str]:
    settings = WebSettings(
        db_url=hostile.db_url, media_dir=hostile.media, coverage_dir=hostile.coverage, plan_dir=hostile.plan
    )
    yield from serve(settings)


@pytest.fixture(scope="module")
def page(hostile_server: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.add_init_script(WATCH)
        pg = ctx.new_page()
        pg.dialogs = []  # type: ignore[attr-defined]
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
        log_in(pg, hostile_server, HOSTILE_USER, PASSWORD)
        yield pg
        browser.close()


def _no_script_ran(page: Any, where: str) -> None:
    page.wait_for_timeout(300)
    assert page.dialogs == [], (where, page.dialogs)
    assert page.evaluate("window.__violations") == [], where


def test_every_page_and_popup_keeps_markup_as_text(page: Any, hostile_server: str, hostile: HostileData) -> None:
    base = hostile_server
    sid = hostile.sighting_ids[0]
    assert IMG in page.locator("#who").inner_text()  # the user name, as text

    page.goto(f"{base}/planner")
    page.wait_for_selector("#map-status[data-ready='1']", timeout=30000)
    texts = page.evaluate(POPUPS)
    joined = "\n".join(texts)
    assert len(texts) > 50
    for field in ("cameras.id", "cameras.name", "intersections.name", "key_sites.name", "site.model"):
        assert mark(field) in joined, field
    _no_script_ran(page, "planner popups")

    page.goto(f"{base}/investigator")
    cards = page.locator("#results").inner_text()
    assert mark("plate") in cards and mark("colour") in cards
    _no_script_ran(page, "investigator search")

    page.goto(f"{base}/investigator/sightings/{sid}")
    page.wait_for_selector("#traj-status[data-ready]", timeout=30000)
    facts = page.locator("#facts").inner_text()
    assert mark("reason") in facts and hostile.case_id in facts and mark("direction") in facts
    popups = page.evaluate(POPUPS)
    assert popups and all(IMG in t for t in popups)  # camera ids and plates in the trajectory popups
    assert IMG in page.locator("#traj-table").inner_text()
    _no_script_ran(page, "sighting page and trajectory popups")

    scene = "112.9400,28.2300,2000,2025-03-01T07:00:00Z,2025-03-01T10:00:00Z"
    page.goto(f"{base}/investigator/scenes?k=1&scenes={scene}")
    assert mark("plate") in page.locator("main").inner_text()
    _no_script_ran(page, "multi-scene search")

    page.goto(f"{base}/reviewer")
    assert page.locator("#compliance").count() == 1
    _no_script_ran(page, "reviewer dashboard")


def test_the_watch_would_see_a_script_run(page: Any, hostile_server: str) -> None:
    """The counters work: markup written as HTML is caught (by CSP, which reports it)."""
    page.goto(f"{hostile_server}/login")
    page.evaluate(f"document.body.insertAdjacentHTML('beforeend', {IMG!r})")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__violations") != [] or page.dialogs != []
    page.evaluate("window.__violations.length = 0")
