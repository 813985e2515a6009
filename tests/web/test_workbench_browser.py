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


# --- edits by hand: add by clicking, drag, rotate, change the model ---------------------------------------------

# in the page: the sample town's intersection gaps and a model's recognition range, from the app's own API
GAPS_AND_RANGES = """async (models) => {
  const post = async (url, body) => (await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body) })).json();
  const res = await post("/api/planner/whatif", { cameras: [], remove: [] });
  const gaps = res.gaps.features.filter((f) => f.properties.class === "intersections")
    .map((f) => f.geometry.coordinates);
  const ranges = {};
  for (const m of models) {
    const z = await post("/api/planner/zones", { cameras: [{ id: "probe", lon: gaps[0][0], lat: gaps[0][1], heading: 0,
      fov: m.fov, resolution: m.resolution, height: m.height, kind: "bullet", model: m.name }] });
    ranges[m.name] = z.numbers.probe.range_m.recognition;
  }
  return { gaps: gaps, ranges: ranges };
}"""
# a point `metres` west of (lon, lat), in page pixels of the map at its current view
WEST_OF = """([lon, lat, metres]) => {
  const map = window.xueliangPlannerMap;
  const p = map.latLngToContainerPoint([lat, lon]);
  const perPx = map.distance(map.containerPointToLatLng([p.x, p.y]),
    map.containerPointToLatLng([p.x + 100, p.y])) / 100;
  const box = map.getContainer().getBoundingClientRect();
  return [box.left + p.x - metres / perPx, box.top + p.y];
}"""


def _classes(page: Any, previous: str | None = None) -> str:
    """The what-if class table as text once no recompute runs (and, given ``previous``, once it differs from it:
    the assertion that the last edit changed the ratios)."""
    table = page.locator("#wb-classes tbody")
    if previous is not None:
        expect(table).not_to_have_text(previous, timeout=30000)
    expect(page.locator("#wb-status")).not_to_contain_text("recomputing", timeout=30000)
    return str(table.inner_text())


def test_add_drag_rotate_and_change_model_by_hand(login: Any, shots: Path) -> None:  # noqa: F811
    """Each edit made with the mouse changes the class ratios: a wide camera added by clicking just west of an
    uncovered intersection, looking east, covers it; dragged further west than its recognition range it no
    longer does; changed to the 12 mm model (longer range) it does again; turned 180° it no longer does."""
    from geo.catalogue import load_catalogue

    page = login("planner")
    _ready(page)
    models = {m.name: m for m in load_catalogue(None).models}
    wide, tele = models["bullet-4mp-2.8mm"], models["bullet-8mp-12mm"]
    probe = [
        {"name": m.name, "fov": m.fov_deg, "resolution": m.resolution_px, "height": m.height_m} for m in (wide, tele)
    ]
    info = page.evaluate(GAPS_AND_RANGES, probe)
    near, far = 0.5 * info["ranges"][wide.name], 0.5 * info["ranges"][tele.name]
    assert far > 1.5 * info["ranges"][wide.name], info["ranges"]  # the drag leaves the wide lens's range only
    lon, lat = max(info["gaps"])  # the eastmost uncovered intersection: the town lies west of it
    page.evaluate(
        "([lat, lon]) => { window.xueliangPlannerMap.setView([lat, lon], 19, { animate: false }); }", [lat, lon]
    )
    # the coverage run's layers stay on: a click that lands on one of their features (an area's circle, a view)
    # adds the camera there too, and leaves no popup open
    assert page.locator(".leaflet-control-layers-overlays input:checked").count() > 0
    before = _classes(page)
    intersections = re.compile(r"intersections\t(\d+)\t")
    covered = [int(intersections.search(before).group(1))]  # type: ignore[union-attr]

    # 1. add: pick the wide model and heading 90° (east), arm "Add camera", click the map
    page.select_option("#wb-model", wide.name)
    page.fill("#wb-heading", "90")
    page.click("#wb-add")
    x, y = page.evaluate(WEST_OF, [lon, lat, near])
    page.mouse.click(x, y)
    expect(page.locator("#wb-selected")).to_contain_text("(new)")
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    added = _classes(page, before)
    covered.append(int(intersections.search(added).group(1)))  # type: ignore[union-attr]
    assert added != before and covered[1] == covered[0] + 1, (before, added)
    page.screenshot(path=str(shots / "workbench_edit_added.png"))

    # 2. drag the new camera west, beyond the wide lens's recognition range
    box = page.locator(".wb-cam.new").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tx, ty = page.evaluate(WEST_OF, [lon, lat, far])
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move((cx + tx) / 2, (cy + ty) / 2, steps=5)
    page.mouse.move(tx, ty, steps=5)
    page.mouse.up()
    dragged = _classes(page, added)
    covered.append(int(intersections.search(dragged).group(1)))  # type: ignore[union-attr]
    assert dragged != added and covered[2] == covered[1] - 1, (added, dragged)

    # 3. change its model to the 12 mm lens: recognition reaches the intersection again
    page.select_option("#wb-model", tele.name)
    expect(page.locator("#wb-numbers")).to_contain_text(f"{tele.fov_deg:g}° field of view")
    changed = _classes(page, dragged)
    covered.append(int(intersections.search(changed).group(1)))  # type: ignore[union-attr]
    assert changed != dragged and covered[3] == covered[2] + 1, (dragged, changed)
    page.screenshot(path=str(shots / "workbench_edit_model.png"))

    # 4. rotate it 180° with the ⟳ 15° button: it looks away from the intersection
    for _ in range(12):
        page.click("#wb-rot-right")
        _classes(page)
    assert page.input_value("#wb-heading") == "270"
    rotated = _classes(page, changed)
    covered.append(int(intersections.search(rotated).group(1)))  # type: ignore[union-attr]
    assert rotated != changed and covered[4] == covered[3] - 1, (changed, rotated)
    assert int(page.locator("#wb-status").get_attribute("data-edits") or 0) >= 1
    page.screenshot(path=str(shots / "workbench_edit_rotated.png"))
    assert covered == [covered[0], covered[0] + 1, covered[0], covered[0] + 1, covered[0]]
