// The Tactics page's map: the passes that justify one result, numbered in time order, on the locally
// served Leaflet. Every value goes into the page as text (textContent), never as HTML.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("tactic-data").textContent);
  const el = document.getElementById("tactic-map");
  const map = L.map(el);
  L.control.scale({ imperial: false }).addTo(map);
  window.xueliangMapTexts(map);
  const layer = L.layerGroup().addTo(map);
  const byId = new Map(data.passes.map((p) => [p.id, p]));

  function popup(p, n) {
    const div = document.createElement("div");
    for (const text of ["#" + n + " " + T("pass %(id)s", { id: p.id }), T("plate %(plate)s", { plate: p.plate || "-" }),
                        T("checkpoint %(id)s", { id: p.camera_id }), p.at.replace("T", " ").replace("+00:00", "") + " UTC",
                        T("source %(source)s", { source: p.source })]) {
      const line = document.createElement("div");
      line.textContent = text;
      div.appendChild(line);
    }
    return div;
  }
  function show(index) {
    layer.clearLayers();
    const hit = data.results[index];
    const passes = hit.pass_ids.map((id) => byId.get(id)).filter((p) => p && p.lon !== null && p.lat !== null);
    passes.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id));
    const points = passes.map((p) => [p.lat, p.lon]);
    passes.forEach((p, i) => L.marker([p.lat, p.lon]).bindPopup(popup(p, i + 1)).addTo(layer));
    if (points.length > 1) L.polyline(points, { weight: 2 }).addTo(layer);
    if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.2));
  }
  document.querySelectorAll("button.show-passes").forEach((b) =>
    b.addEventListener("click", () => show(Number(b.dataset.index))));
  if (data.results.length) show(0); else map.setView([0, 0], 2);
})();
