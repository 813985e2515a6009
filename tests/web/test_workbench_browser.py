"""The planner's workbench in real headless Chromium: basemap, density zones, a what-if edit, a scenario
comparison and the schedule export. Screenshots go to the pytest tmp folder (workbench_*.png)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.factories import PASSWORD, TrajData
from tests.web.test_browser import browser, login, server, traj_server  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def _ready(page: Any) -> None:
    page.wait_for_selector("#map-status[data-ready='1']", timeout=60000)
    page.wait_for_selector("#wb-status[data-ready='1']", timeout=60000)


def _ratio(page: Any, cls: str) -> str:
    return str(page.locator(f"#wb-classes tr[data-cls='{cls}'] td").nth(3).inner_text())


def test_basemap_under_the_planner_map(login: Any, shots: Path) -> None:  # noqa: F811
    page = login("planner")
    _ready(page)
    assert "basemap" in page.locator("#map-status").inner_text()
    drawn = int(page.locator("#map").get_attribute("data-basemap") or 0)
    assert drawn > 100  # the sample town: 16 roads, 110 buildings, 3 admin units
    # the basemap pane holds a canvas with pixels of road and building colours
    colours = page.evaluate(
        """() => { const c = document.querySelector('.leaflet-basemap-pane canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const seen = new Set();
        for (let i = 0; i < d.length; i += 16) { if (d[i + 3] > 0) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]); }
        return Array.from(seen); }"""
    )
    assert "217,208,199" in colours  # building fill
    assert "255,255,255" in colours or "232,163,61" in colours  # a road
    page.screenshot(path=str(shots / "workbench_basemap.png"))


def test_density_zones_and_camera_numbers(login: Any, shots: Path) -> None:  # noqa: F811
    page = login("planner")
    _ready(page)
    page.locator(".wb-cam").first.click()
    page.wait_for_selector(".wb-zone-identification", timeout=20000)
    for level in ("detection", "observation", "recognition", "identification"):
        assert page.locator(f".wb-zone-{level}").count() >= 1
    numbers = page.locator("#wb-numbers").inner_text()
    assert "range identification" in numbers and "px/m" in numbers and "mm" in numbers
    page.evaluate(
        "() => { const m = window.xueliangPlannerMap; const z = document.querySelector('.wb-cam.sel');"
        " m.setView(m.layerPointToLatLng(L.DomUtil.getPosition(z)), 18, { animate: false }); }"
    )
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "workbench_zones.png"))


def test_whatif_edit_scenarios_and_schedule(login: Any, shots: Path) -> None:  # noqa: F811
    page = login("planner")
    _ready(page)
    before = _ratio(page, "intersections")
    # delete every existing camera the page lists: intersections coverage must drop to 0
    page.fill("#sc-name", "baseline")
    page.click("#sc-save")
    expect(page.locator("#wb-status")).to_contain_text("saved baseline")  # locator waits: no eval under the CSP
    n = page.locator(".wb-cam").count()
    assert n > 0
    for _ in range(n):
        page.locator(".wb-cam").first.click()
        page.wait_for_selector("#wb-selected:has-text('selected:')")
        page.click("#wb-delete")
        expect(page.locator("#wb-status")).not_to_contain_text("recomputing")
    after = _ratio(page, "intersections")
    # the coverage run's own views and gaps are hidden once the set is edited (the control still lists them)
    assert page.locator(".leaflet-control-layers").inner_text().count("gaps (") >= 1
    assert not page.evaluate("() => document.querySelector('.leaflet-control-layers-overlays input').checked")
    assert before != "0.0%" and after == "0.0%"
    assert "ms (server)" in page.locator("#wb-status").inner_text()
    page.fill("#sc-name", "no-cameras")
    page.click("#sc-save")
    expect(page.locator("#wb-status")).to_contain_text("saved no-cameras")
    page.select_option("#cmp-a", "baseline")
    page.select_option("#cmp-b", "no-cameras")
    page.click("#cmp-go")
    page.wait_for_selector("#cmp-table[data-ready='1']")
    table = page.locator("#cmp-table").inner_text()
    assert "every approach seen" in table and "centre seen" in table
    row = page.locator("#cmp-table tbody tr", has_text="intersections").first.inner_text()
    assert before in row and "(0.0%)" in row
    page.screenshot(path=str(shots / "workbench_compare.png"), full_page=True)
    page.select_option("#cmp-a", "no-cameras")
    with page.expect_download() as dl:
        page.click("#ex-plan-csv")
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert text.startswith("site,lon,lat,model") and "storage_tb" in text and "\nall," in text


def test_trajectory_map_has_the_basemap(
    browser: Any,  # noqa: F811
    traj_server: str,  # noqa: F811
    traj_data: TrajData,
    shots: Path,
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{traj_server}/login")
    page.fill("#username", "investigator")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    page.goto(f"{traj_server}/investigator/sightings/{traj_data.ids['a']}")
    expect(page.locator("#traj-map")).to_have_attribute("data-basemap", re.compile(r"^[1-9]\d{2,}$"), timeout=60000)
    page.locator("#traj-map").screenshot(path=str(shots / "workbench_trajectory.png"))
    page.close()
