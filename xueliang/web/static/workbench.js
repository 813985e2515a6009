// The planner's workbench on the planner map: add, move (drag), rotate, delete a camera and change its model;
// each edit posts the whole edit list to /api/planner/whatif and the tables follow. Every value is set as text.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const ZONE = { detection: "#9ecae1", observation: "#fdd835", recognition: "#fb8c00", identification: "#d62728" };
  const cams = new Map();      // id -> { spec, existing, marker }
  const removed = new Set();   // existing ids removed or moved
  const changed = new Set();   // ids whose spec is sent as "cameras"
  let baseline = null, catalogue = [], selected = null, adding = false, next = 1, map = null, runLayers = {};
  let gapLayer = null, zoneLayer = null;
  let svg = null;  // zones and gaps as SVG (classes a test or a stylesheet can find); the map prefers canvas
  const status = $("wb-status");

  function row(tbody, values) {
    const tr = document.createElement("tr");
    for (const v of values) { const td = document.createElement("td"); td.textContent = v; tr.appendChild(td); }
    tbody.appendChild(tr);
    return tr;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  const pct = (r) => (r === null || r === undefined ? T("n/a") : (100 * r).toFixed(1) + "%");

  function icon(id) {
    const c = cams.get(id);
    const cls = "wb-cam" + (c && !c.existing ? " new" : "") + (id === selected ? " sel" : "");
    return L.divIcon({ className: cls, iconSize: [12, 12] });
  }
  function place(id) {
    const c = cams.get(id);
    if (c.marker) map.removeLayer(c.marker);
    c.marker = L.marker([c.spec.lat, c.spec.lon], { draggable: true, icon: icon(id), title: id, zIndexOffset: 1000 });
    c.marker.on("click", () => select(id));
    c.marker.on("dragend", (e) => {
      const ll = e.target.getLatLng();
      c.spec.lat = +ll.lat.toFixed(7); c.spec.lon = +ll.lng.toFixed(7);
      touch(id); select(id);
    });
    c.marker.addTo(map);
  }
  function touch(id) {
    const c = cams.get(id);
    if (c.existing) removed.add(id);
    changed.add(id);
    recompute();
  }
  function body() {
    const out = [];
    for (const id of changed) { if (cams.has(id)) out.push(Object.assign({ id: id }, cams.get(id).spec)); }
    return { cameras: out, remove: Array.from(removed) };
  }
  async function post(url, data) {
    const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
    const j = await r.json();
    if (!r.ok) throw new Error(j.detail || r.status);
    return j;
  }
  async function recompute() {
    status.textContent = T("recomputing…");
    const t0 = performance.now();
    const res = await post("/api/planner/whatif", body());
    // the coverage run's own views, cameras and gaps no longer describe the edited set: hide them (the layer
    // control can show them again)
    for (const [name, layer] of Object.entries(runLayers)) {
      if (layer.xueliangRun && map.hasLayer(layer)) map.removeLayer(layer);
    }
    show(res);
    status.textContent = T("coverage in %(server)s ms (server), %(total)s ms round trip", { server: (res.seconds * 1000).toFixed(0), total: (performance.now() - t0).toFixed(0) });
    status.dataset.edits = String(changed.size + removed.size);
  }
  function show(res) {
    const tb = $("wb-classes").querySelector("tbody"); clear(tb);
    for (const [name, c] of Object.entries(res.classes)) {
      const b = baseline ? baseline.classes[name] : null;
      const tr = row(tb, [T(name), String(c.covered), String(c.total), pct(c.ratio), b ? pct(b.ratio) : ""]);
      tr.dataset.cls = name;
    }
    const rb = $("wb-rules").querySelector("tbody"); clear(rb);
    for (const [name, c] of Object.entries(res.intersection_rules || {})) {
      row(rb, [T(name.replace(/_/g, " ")), T("%(covered)s of %(total)s", { covered: c.covered, total: c.total }), pct(c.ratio), T(c.definition)]);
    }
    const vb = $("wb-villages").querySelector("tbody"); clear(vb);
    for (const v of res.villages) { row(vb, [v.admin_unit, String(v.cameras), String(v.channels), v.meets_threshold ? T("yes") : T("no")]); }
    const gl = $("wb-gaps"); clear(gl);
    $("wb-gap-count").textContent = String(res.gaps.features.length);
    for (const f of res.gaps.features.slice(0, 300)) {
      const li = document.createElement("li");
      const p = f.properties;
      li.textContent = T(p.class) + " " + p.target_id + (p.name ? " — " + p.name : "");
      li.addEventListener("click", () => map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], 18));
      gl.appendChild(li);
    }
    if (gapLayer) map.removeLayer(gapLayer);
    gapLayer = L.geoJSON(res.gaps, { pointToLayer: (f, ll) => L.circleMarker(ll, { renderer: svg, radius: 5, color: "#e00", weight: 2, fillOpacity: 0, className: "wb-gap" }) }).addTo(map);
  }
  async function select(id) {
    selected = id;
    for (const k of cams.keys()) { const c = cams.get(k); if (c.marker) c.marker.setIcon(icon(k)); }
    const c = cams.get(id);
    if (!c) { $("wb-selected").textContent = T("no camera selected"); if (zoneLayer) map.removeLayer(zoneLayer); return; }
    $("wb-selected").textContent = c.existing ? T("selected: %(id)s (existing)", { id: id }) : T("selected: %(id)s (new)", { id: id });
    $("wb-heading").value = c.spec.heading === null || c.spec.heading === undefined ? "" : String(Math.round(c.spec.heading));
    if (c.spec.model) $("wb-model").value = c.spec.model;
    const z = await post("/api/planner/zones", { cameras: [Object.assign({ id: id }, c.spec)] });
    if (selected !== id || !cams.has(id)) return;  // another camera was picked, or this one deleted, meanwhile
    if (zoneLayer) map.removeLayer(zoneLayer);
    zoneLayer = L.geoJSON(z, { renderer: svg, style: (f) => ({ color: ZONE[f.properties.level], weight: 1, fillColor: ZONE[f.properties.level], fillOpacity: 0.45, className: "wb-zone wb-zone-" + f.properties.level }), interactive: false }).addTo(map);
    const nb = $("wb-numbers").querySelector("tbody"); clear(nb);
    const n = z.numbers[id];
    if (n) {
      row(nb, [T("lens"), T("%(fov)s° field of view, %(mm)s mm on a 1/2.8\" sensor, %(px)s px wide, %(h)s m up", { fov: n.fov_deg, mm: n.focal_mm, px: n.resolution_px, h: n.height_m })]);
      for (const [lv, m] of Object.entries(n.range_m)) row(nb, [T("range %(level)s", { level: T(lv) }), m + " m"]);
      for (const [d, ppm] of Object.entries(n.px_per_m_at)) row(nb, [T("at %(d)s m", { d: d }), ppm + " px/m"]);
    }
  }
  function specFromModel(name, lat, lon, heading) {
    const m = catalogue.find((x) => x.name === name) || catalogue[0];
    return { lon: lon, lat: lat, heading: heading, fov: m.fov_deg, resolution: m.resolution_px, height: m.height_m, kind: m.kind, model: m.name };
  }
  function setupControls() {
    const sel = $("wb-model");
    for (const m of catalogue) { const o = document.createElement("option"); o.value = m.name; o.textContent = m.name + " (" + m.cost + ")"; sel.appendChild(o); }
    $("wb-add").addEventListener("click", () => { adding = !adding; $("wb-add").classList.toggle("active", adding); });
    const addAt = (latlng) => {
      let id = "new-" + next++;
      while (cams.has(id)) id = "new-" + next++;
      cams.set(id, { spec: specFromModel(sel.value, +latlng.lat.toFixed(7), +latlng.lng.toFixed(7), +$("wb-heading").value || 0), existing: false });
      place(id); adding = false; $("wb-add").classList.remove("active");
      changed.add(id); recompute().then(() => select(id));
    };
    map.on("click", (e) => { if (adding) addAt(e.latlng); });
    // A click on a coverage-run feature (a view, a gap, a covered target) never reaches the map: the feature takes
    // it and opens its popup. While adding, that click places the camera there too, and the popup is closed.
    for (const layer of Object.values(runLayers)) {
      layer.on("click", (e) => { if (!adding) return; map.closePopup(); addAt(e.latlng); });
    }
    const rotate = (deg) => {
      const c = cams.get(selected); if (!c) return;
      c.spec.heading = (((c.spec.heading || 0) + deg) % 360 + 360) % 360;
      touch(selected); select(selected);
    };
    $("wb-rot-left").addEventListener("click", () => rotate(-15));
    $("wb-rot-right").addEventListener("click", () => rotate(15));
    $("wb-heading").addEventListener("change", () => { const c = cams.get(selected); if (!c) return; c.spec.heading = (+$("wb-heading").value % 360 + 360) % 360; touch(selected); select(selected); });
    sel.addEventListener("change", () => {
      const c = cams.get(selected); if (!c) return;
      c.spec = specFromModel(sel.value, c.spec.lat, c.spec.lon, c.spec.heading || 0);
      touch(selected); select(selected);
    });
    $("wb-delete").addEventListener("click", () => {
      const c = cams.get(selected); if (!c) return;
      if (c.existing) removed.add(selected);
      changed.delete(selected);
      if (c.marker) map.removeLayer(c.marker);
      cams.delete(selected); select(null); recompute();
    });
    $("sc-save").addEventListener("click", async () => {
      const name = $("sc-name").value.trim();
      try { await post("/api/planner/scenarios", Object.assign({ name: name }, body())); status.textContent = T("saved %(name)s", { name: name }); await scenarios(); }
      catch (e) { status.textContent = T("not saved: %(why)s", { why: e.message }); }
    });
    $("cmp-go").addEventListener("click", compare);
    $("cmp-a").addEventListener("change", exportLinks);
  }
  async function scenarios() {
    const list = await (await fetch("/api/planner/scenarios")).json();
    for (const id of ["cmp-a", "cmp-b"]) {
      const s = $(id); const keep = s.value; clear(s);
      for (const sc of list) { const o = document.createElement("option"); o.value = sc.name; o.textContent = sc.name + " (+" + sc.cameras + ")"; s.appendChild(o); }
      if (keep) s.value = keep;
    }
    if (list.length > 1 && $("cmp-b").value === $("cmp-a").value) $("cmp-b").value = list[list.length - 1].name;
    exportLinks();
  }
  function exportLinks() {
    const a = encodeURIComponent($("cmp-a").value || "");
    $("ex-csv").href = "/api/planner/schedule.csv?scenario=" + a;
    $("ex-xlsx").href = "/api/planner/schedule.xlsx?scenario=" + a;
    $("ex-cams").href = "/api/planner/scenarios/" + a + "/cameras.geojson";
  }
  async function compare() {
    const a = $("cmp-a").value, b = $("cmp-b").value;
    const r = await fetch("/api/planner/scenarios/compare?" + new URLSearchParams({ a: a, b: b }));
    const j = await r.json();
    const t = $("cmp-table"); const tb = t.querySelector("tbody"); clear(tb);
    $("cmp-ha").textContent = j.a.name; $("cmp-hb").textContent = j.b.name;
    const cell = (c) => c.covered + "/" + c.total + " (" + pct(c.ratio) + ")";
    row(tb, [T("cameras added / removed"), j.a.cameras + " / " + j.a.removed, j.b.cameras + " / " + j.b.removed]);
    for (const name of Object.keys(j.a.classes)) row(tb, [T(name), cell(j.a.classes[name]), j.b.classes[name] ? cell(j.b.classes[name]) : T("n/a")]);
    for (const name of Object.keys(j.a.intersection_rules || {})) row(tb, [T("intersections, %(rule)s", { rule: T(name.replace(/_/g, " ")) }), cell(j.a.intersection_rules[name]), cell(j.b.intersection_rules[name])]);
    const meets = (s) => T("%(covered)s of %(total)s", { covered: s.villages.filter((v) => v.meets_threshold).length, total: s.villages.length });
    row(tb, [T("villages meeting the channel threshold"), meets(j.a), meets(j.b)]);
    t.classList.remove("hidden");
    t.dataset.ready = "1";
  }
  async function start() {
    map = window.xueliangPlannerMap;
    svg = L.svg();
    const r = await fetch("/api/planner/workbench");
    if (!r.ok) { status.textContent = T("workbench unavailable (%(status)s): serve --osm FILE", { status: r.status }); return; }
    const wb = await r.json();
    catalogue = wb.catalogue; baseline = wb.baseline;
    for (const c of wb.cameras) { cams.set(c.id, { spec: { lon: c.lon, lat: c.lat, heading: c.heading, fov: c.fov, resolution: c.resolution, height: c.height, kind: c.kind === "unknown" ? "bullet" : c.kind }, existing: true }); place(c.id); }
    setupControls();
    show(baseline);
    await scenarios();
    status.textContent = T("workbench ready: %(n)s cameras", { n: wb.cameras.length });
    status.dataset.ready = "1";
  }
  document.addEventListener("planner-map-ready", (ev) => {
    runLayers = (ev.detail && ev.detail.overlays) || {};
    start().catch((e) => { status.textContent = T("error: %(message)s", { message: String(e) }); status.dataset.ready = "error"; });
  });
})();
