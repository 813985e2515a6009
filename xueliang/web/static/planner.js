// Planner map: coverage layers and plan sites from the app's own API, drawn with the locally served Leaflet.
(function () {
  "use strict";
  const status = document.getElementById("map-status");
  const map = L.map("map", { preferCanvas: true });
  const overlays = {};
  const colours = {
    intersections: "#1f77b4", main_road_nodes: "#9467bd", crowded_areas: "#ff7f0e",
    key_sites: "#d62728", boundary_crossings: "#8c564b",
  };
  let bounds = null;
  // the coverage run's own layers (views, cameras, gaps, covered targets): the workbench hides them after an edit
  const run = (layer) => { layer.xueliangRun = true; return layer; };
  function extend(layer) {
    const b = layer.getBounds && layer.getBounds();
    if (b && b.isValid()) { bounds = bounds ? bounds.extend(b) : b; }
  }
  // Popups are DOM nodes whose values are set as text: a camera or village named with markup stays text.
  function popup(props) {
    const div = document.createElement("div");
    for (const [k, v] of Object.entries(props || {})) {
      if (!["target_id", "name", "covered", "camera_id", "id", "model", "cost", "phase"].includes(k)) continue;
      const line = document.createElement("div");
      line.textContent = T("%(key)s: %(value)s", { key: T(k), value: v });
      div.appendChild(line);
    }
    return div;
  }
  function pointLayer(fc, style) {
    return L.geoJSON(fc, {
      pointToLayer: (f, ll) => L.circleMarker(ll, style(f)),
      style: style,
      onEachFeature: (f, l) => l.bindPopup(() => popup(f.properties)),
    });
  }
  // Leaflet writes overlay names with innerHTML; write them as text instead.
  const TextLayers = L.Control.Layers.extend({
    _addItem: function (obj) {
      const label = L.Control.Layers.prototype._addItem.call(this, Object.assign({}, obj, { name: "" }));
      label.querySelector("span > span").textContent = " " + obj.name;
      return label;
    },
  });
  async function load() {
    const parts = [];
    const cov = await fetch("/api/planner/coverage");
    if (cov.ok) {
      const layers = await cov.json();
      if (layers.views) {
        const v = L.geoJSON(layers.views, { style: { color: "#1a7a1a", weight: 1.5, fillColor: "#2ca02c", fillOpacity: 0.4 } });
        overlays[T("camera views")] = run(v).addTo(map); extend(v);
      }
      for (const [name, fc] of Object.entries(layers)) {
        if (name === "views" || name === "cameras") continue;
        const c = colours[name] || "#333";
        const gaps = { type: "FeatureCollection", features: fc.features.filter((f) => !f.properties.covered) };
        const covered = { type: "FeatureCollection", features: fc.features.filter((f) => f.properties.covered) };
        const g = pointLayer(gaps, () => ({ radius: 6, color: "red", weight: 2, fillOpacity: 0, dashArray: "3" }));
        const k = pointLayer(covered, () => ({ radius: 5, color: c, fillColor: c, fillOpacity: 0.8 }));
        overlays[T("%(name)s gaps (%(n)s)", { name: T(name), n: gaps.features.length })] = run(g).addTo(map);
        overlays[T("%(name)s covered (%(n)s)", { name: T(name), n: covered.features.length })] = run(k).addTo(map);
        extend(g); extend(k);
      }
      if (layers.cameras) {
        const cams = pointLayer(layers.cameras, () => ({ radius: 3, color: "#000", fillColor: "#000", fillOpacity: 1 }));
        overlays[T("cameras (%(n)s)", { n: layers.cameras.features.length })] = run(cams).addTo(map); extend(cams);
      }
      parts.push(T("coverage loaded"));
    } else { parts.push(T("no coverage (%(status)s)", { status: cov.status })); }
    const plan = await fetch("/api/planner/plan");
    if (plan.ok) {
      const p = await plan.json();
      const sites = pointLayer(p.sites, () => ({ radius: 7, color: "#0050ff", fillColor: "#59a5ff", fillOpacity: 0.9 }));
      overlays[T("proposed sites (%(n)s)", { n: p.sites.features.length })] = sites.addTo(map); extend(sites);
      const tbody = document.querySelector("#plan-table tbody");
      const pct = (v) => (v === null ? T("n/a") : (100 * v).toFixed(1) + "%");
      for (const c of p.classes) {
        const tr = document.createElement("tr");
        for (const text of [T(c.name), pct(c.before), pct(c.after)]) {
          const td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
        }
        tbody.appendChild(tr);
      }
      if (p.intersection_rule) {
        document.getElementById("plan-caption").textContent = T("Plan: before and after (intersections by the rule: %(rule)s)", { rule: T(p.intersection_rule.replace(/_/g, " ")) });
      }
      document.getElementById("plan-table").classList.remove("hidden");
      parts.push(T("plan: %(n)s sites, cost %(cost)s", { n: p.cameras_added, cost: Math.round(p.total_cost).toLocaleString(window.xueliangLang()) }));
    } else { parts.push(T("no plan (%(status)s)", { status: plan.status })); }
    new TextLayers(null, overlays, { collapsed: false }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    window.xueliangMapTexts(map);
    if (bounds) { map.fitBounds(bounds, { padding: [10, 10] }); }
    const base = await window.xueliangBasemap(map, "/api/planner/basemap");
    parts.push(base ? T("basemap %(n)s features", { n: base.features.length }) : T("no basemap (serve --osm FILE)"));
    if (!map._loaded) { map.setView([0, 0], 2); }
    window.xueliangPlannerMap = map;
    document.dispatchEvent(new CustomEvent("planner-map-ready", { detail: { overlays: overlays } }));
    status.textContent = parts.join("; ");
    status.dataset.ready = "1";
  }
  load().catch((e) => { status.textContent = T("error: %(message)s", { message: String(e) }); status.dataset.ready = "error"; });
})();
