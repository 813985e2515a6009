"""End to end in real headless Chromium (Debian's /usr/bin/chromium driven by playwright's client).

The app runs under uvicorn on 127.0.0.1 on a free port in a thread. Screenshots of each page go to
tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.factories import PASSWORD, TRAJ_NO_POSITION, TrajData, WebData
from tests.web.live import log_in
from tests.web.live import serve as _serve
from xueliang.report.build import CHROMIUM_FLAGS
from xueliang.web.settings import WebSettings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("no Chromium: apt-get install chromium (the browser tests need it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")

FLAGS = list(CHROMIUM_FLAGS)  # the same flags the report uses to print its PDF


@pytest.fixture(scope="module")
def server(settings: WebSettings) -> Iterator[str]:
    yield from _serve(settings)


@pytest.fixture(scope="module")
def traj_server(traj_settings: WebSettings) -> Iterator[str]:
    yield from _serve(traj_settings)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def logged_in(browser: Any, base: str, role: str, contexts: list[Any], **options: Any) -> Any:
    """A new page of a new browser context (``options``: locale, headers) logged in as ``role`` at ``base``."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, **options)
    contexts.append(ctx)
    page = ctx.new_page()
    log_in(page, base, role, PASSWORD)
    return page


@pytest.fixture
def login(browser: Any, server: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def _login(role: str) -> Any:
        page = logged_in(browser, server, role, contexts)
        assert page.locator("#who").inner_text() == f"{role} ({role})"
        return page

    yield _login
    for ctx in contexts:
        ctx.close()


def _status(page: Any, url: str) -> int:
    return int(page.goto(url).status)


def test_wrong_password_stays_on_login(browser: Any, server: str, artifacts: Path) -> None:
    page = browser.new_page()
    page.goto(f"{server}/investigator")
    assert "/login" in page.url
    page.fill("#username", "investigator")
    page.fill("#password", "not the password")
    page.click("#login-submit")
    assert page.locator("#login-error").inner_text() == "Wrong name or password."
    page.screenshot(path=str(artifacts / "login_failed.png"))
    page.close()


def test_planner_map(login: Any, server: str, artifacts: Path) -> None:
    page = login("planner")
    assert page.url.endswith("/planner")
    page.wait_for_selector("#map-status[data-ready='1']", timeout=20000)
    status = page.locator("#map-status").inner_text()
    assert "coverage loaded" in status and "plan:" in status
    control = page.locator(".leaflet-control-layers").inner_text()
    assert "camera views" in control and "intersections gaps (31)" in control and "proposed sites" in control
    assert page.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas").count() > 0
    assert page.locator("#plan-table tbody tr").count() == 5
    assert page.locator("#nav-investigator").count() == 0
    page.screenshot(path=str(artifacts / "planner_map.png"), full_page=True)
    assert _status(page, f"{server}/media/sightings/1/thumbnail") == 403
    assert _status(page, f"{server}/investigator") == 403
    assert _status(page, f"{server}/reviewer") == 403


def test_investigator_search_detail_and_mark(login: Any, server: str, web_data: WebData, artifacts: Path) -> None:
    page = login("investigator")
    assert page.url.endswith("/investigator")
    assert page.locator("#results .card").count() == 6
    page.screenshot(path=str(artifacts / "investigator_search_all.png"), full_page=True)
    page.select_option("#f-colour", "red")
    page.click("#search")
    page.wait_for_load_state("networkidle")
    assert "colour=red" in page.url
    cards = page.locator("#results .card")
    assert cards.count() == 2
    widths = page.eval_on_selector_all("#results .card img", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths == [160, 160]  # thumbnails really loaded
    page.screenshot(path=str(artifacts / "investigator_search_red.png"), full_page=True)
    page.fill("#f-plate", "湘A199*")
    page.click("#search")
    page.wait_for_load_state("networkidle")
    # the exact match ranks first; 湘A12345 is more than one character off and is not shown
    assert page.locator("#results .card").count() == 1
    page.click("#results .card")
    page.wait_for_load_state("networkidle")
    assert "/investigator/sightings/" in page.url
    assert "red suv" in page.locator("#sighting-title").inner_text()
    assert page.locator("#trajectory polyline").count() == 1
    pts = page.locator("#trajectory polyline").get_attribute("points").split()
    assert len(pts) == 8
    page.check("#mark-eliminate")
    page.fill("#mark-reason", "plate does not match witness")
    page.click("#mark-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#current-mark").inner_text().startswith("eliminate: plate does not match witness")
    page.screenshot(path=str(artifacts / "investigator_sighting.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("#export")
    assert dl.value.suggested_filename.startswith("sighting-")
    page.goto(f"{server}/investigator?colour=red")
    assert page.locator("#results .card.mark-eliminate").count() == 1
    assert _status(page, f"{server}/planner") == 403


def test_reviewer_dashboard(login: Any, server: str, artifacts: Path) -> None:
    page = login("reviewer")
    assert page.url.endswith("/reviewer")
    assert page.locator("#overall").inner_text() == "FAIL"
    rows = page.locator("#compliance tr").all_inner_texts()
    assert any(r.startswith("intersections") and "7 / 38" in r and "FAIL" in r for r in rows)
    assert any(r.startswith("villages") and "2 / 2" in r and "PASS" in r for r in rows)
    ledger = page.locator("#ledger").inner_text()
    assert "video-supported, share of solved cases" in ledger
    assert page.locator("#ledger-years tr").count() > 2
    assert page.locator("#ledger-km polyline").count() == 2 and page.locator("#ledger-forest circle").count() > 2
    page.screenshot(path=str(artifacts / "reviewer_dashboard.png"), full_page=True)
    assert _status(page, f"{server}/media/sightings/1/frame") == 403
    assert _status(page, f"{server}/investigator") == 403


def test_admin_sees_every_page(login: Any, server: str) -> None:
    page = login("admin")
    for nav in ("#nav-planner", "#nav-investigator", "#nav-reviewer"):
        assert page.locator(nav).count() == 1
    for url in ("/planner", "/investigator", "/reviewer", "/media/sightings/1/thumbnail"):
        assert _status(page, f"{server}{url}") == 200


def test_pages_keep_to_the_strict_csp(login: Any, server: str, web_data: WebData) -> None:
    """No page needs an exception to the CSP (no inline script or style): Chromium reports none, the maps
    and the ledger's interval bars still draw, and the header allows no inline style."""
    page = login("admin")
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    csp = page.request.get(f"{server}/reviewer").headers["content-security-policy"]
    assert "style-src 'self';" in csp and "unsafe-inline" not in csp
    urls = (
        "/planner",
        "/investigator",
        f"/investigator/sightings/{web_data.sighting_ids[0]}",
        "/investigator/scenes",
        "/investigator/tactics?tactic=nocturnal",
        "/investigator/alerts",
        "/reviewer",
    )
    for url in urls:
        page.goto(server + url)
        page.wait_for_load_state("networkidle")
        if url == "/reviewer":
            bars = page.locator("#ledger svg.bar rect.ci")
            assert bars.count() > 3
            box = bars.first.bounding_box()
            assert box is not None and 0 < box["width"] < 200  # an interval drawn inside its 200 px bar
        if url.startswith("/investigator/alerts"):
            assert page.locator("#alert-map").bounding_box()["height"] == 360  # type: ignore[index]
    assert not refused, refused


def test_trajectory_map_on_the_sighting_page(
    browser: Any, traj_server: str, traj_data: TrajData, artifacts: Path
) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 1100})
    page = ctx.new_page()
    page.goto(f"{traj_server}/login")
    page.fill("#username", "investigator")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    sid = traj_data.ids["a"]
    page.goto(f"{traj_server}/investigator/sightings/{sid}")
    page.wait_for_selector("#traj-status[data-ready='1']", timeout=20000)
    # five sightings in time order; four drawn (one camera has no position), the path through them
    markers = page.locator("#traj-map .traj-marker")
    assert markers.all_inner_texts() == ["1", "2", "4", "5"]
    assert page.locator("#traj-map .traj-marker.current").inner_text() == "2"
    assert page.locator("#traj-map path.traj-path").count() == 1
    assert page.locator("#traj-table tbody tr").count() == 5
    assert page.locator("#traj-table tr.current td").first.inner_text() == "2"
    note = page.locator("#traj-unlocated")
    assert note.is_visible() and f"#3 (camera {TRAJ_NO_POSITION})" in note.inner_text()
    assert "not drawn" in note.inner_text()
    markers.nth(3).click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    page.wait_for_timeout(500)  # Leaflet pans the popup into view
    text = popup.inner_text()
    assert "#5" in text and "camera TB" in text and "03:00:00 UTC" in text
    assert "plate: covered" in text and "link: appearance 0." in text
    thumb = popup.locator("a", has_text="thumbnail").get_attribute("href")
    assert thumb == f"/media/sightings/{traj_data.ids['look']}/thumbnail"
    assert page.locator("#trajectory").count() == 0  # no frame stored here; the frame drawing is tested above
    page.screenshot(path=str(artifacts / "investigator_trajectory_map.png"), full_page=True)
    ctx.close()
