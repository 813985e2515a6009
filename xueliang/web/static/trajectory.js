// A sighting's cross-camera trajectory on the locally served Leaflet: numbered markers in time order, the
// path between them, a popup per sighting; sightings whose camera has no position are listed, not drawn.
(function () {
  "use strict";
  const el = document.getElementById("traj-map");
  const status = document.getElementById("traj-status");
  const note = document.getElementById("traj-unlocated");
  const table = document.getElementById("traj-table");
  const current = Number(el.dataset.sighting);
  const map = L.map(el);
  L.control.scale({ imperial: false }).addTo(map);
  window.xueliangMapTexts(map);

  function cell(tr, text, href) {
    const td = document.createElement("td");
    if (href) {
      const a = document.createElement("a");
      a.href = href; a.textContent = text; td.appendChild(a);
    } else { td.textContent = text; }
    tr.appendChild(td);
  }
  function linkText(p) {
    if (p.link === "query") return T("this sighting");
    if (p.link === "plate") return T("plate");
    return T("appearance %(similarity)s", { similarity: p.similarity.toFixed(2) });
  }
  function when(p) { return p.first_seen.replace("T", " ").replace("+00:00", ""); }
  function popup(p, n) {
    const div = document.createElement("div");
    const lines = [
      ["#" + n + (p.sighting_id === current ? T(" (this sighting)") : ""), null],
      [T("camera %(id)s", { id: p.camera_id }), null],
      [when(p) + " UTC", null],
      [T("plate: %(plate)s", { plate: p.plate_text || T(p.plate_state) }), null],
      [T("link: %(link)s", { link: linkText(p) }), null],
      [p.thumbnail_url ? T("thumbnail") : T("no thumbnail"), p.thumbnail_url],
      [T("sighting %(id)s", { id: p.sighting_id }), "/investigator/sightings/" + p.sighting_id],
    ];
    for (const [text, href] of lines) {
      const line = document.createElement(href ? "a" : "div");
      line.textContent = text;
      if (href) { line.href = href; line.target = href.startsWith("/media/") ? "_blank" : ""; line.style.display = "block"; }
      div.appendChild(line);
    }
    return div;
  }

  async function load() {
    const r = await fetch("/api/sightings/" + current + "/trajectory");
    const body = await r.json();
    if (!r.ok) {
      status.textContent = T("Cannot map where else this vehicle was seen: %(why)s", { why: body.detail || r.status });
      map.setView([0, 0], 2);
      status.dataset.ready = "error";
      return;
    }
    const path = body.features.find((f) => f.properties.kind === "path");
    const sightings = body.features.filter((f) => f.properties.kind === "sighting");
    const tbody = table.querySelector("tbody");
    const placed = {};
    const latlngs = [];
    const unlocated = [];
    for (const f of sightings) {
      const p = f.properties;
      const n = p.order + 1;
      const tr = document.createElement("tr");
      if (p.sighting_id === current) tr.classList.add("current");
      cell(tr, String(n)); cell(tr, when(p)); cell(tr, p.camera_id); cell(tr, p.plate_text || T(p.plate_state));
      cell(tr, linkText(p));
      cell(tr, String(p.sighting_id), "/investigator/sightings/" + p.sighting_id);
      if (!f.geometry) {
        tr.classList.add("unlocated");
        tr.title = T("camera %(id)s has no position in the registry: not on the map", { id: p.camera_id });
        unlocated.push(p);
      } else {
        const [lon, lat] = f.geometry.coordinates;
        const key = lon + "," + lat;
        const k = placed[key] || 0; // several sightings at one camera: fan the numbers out sideways
        placed[key] = k + 1;
        const icon = L.divIcon({
          className: "traj-marker" + (p.sighting_id === current ? " current" : ""),
          html: String(n), iconSize: [24, 24], iconAnchor: [12 - 26 * k, 12],
        });
        const m = L.marker([lat, lon], { icon: icon, title: "#" + n + " " + p.camera_id, zIndexOffset: p.sighting_id === current ? 1000 : 0 });
        m.bindPopup(popup(p, n)).addTo(map);
        latlngs.push([lat, lon]);
      }
      tbody.appendChild(tr);
    }
    table.classList.remove("hidden");
    if (path) {
      L.polyline(path.geometry.coordinates.map(([lon, lat]) => [lat, lon]),
        { color: "#d01010", weight: 3, opacity: 0.8, dashArray: "8 6", className: "traj-path" }).addTo(map);
    }
    if (latlngs.length > 1) { map.fitBounds(L.latLngBounds(latlngs), { padding: [40, 40], maxZoom: 18 }); }
    else if (latlngs.length === 1) { map.setView(latlngs[0], 17); }
    else { map.setView([0, 0], 2); }
    if (window.xueliangBasemap) window.xueliangBasemap(map, "/api/basemap");  // roads and buildings, when served
    const cams = new Set(sightings.filter((f) => f.geometry).map((f) => f.properties.camera_id));
    status.textContent = T("%(n)s sightings of this vehicle at %(cameras)s cameras on the map, in time order.", { n: sightings.length, cameras: cams.size });
    if (unlocated.length) {
      const list = unlocated.map((p) => "#" + (p.order + 1) + " " + T("(camera %(id)s)", { id: p.camera_id })).join(", ");
      note.textContent = T("%(n)s not drawn: %(list)s — the camera has no position in the registry.", { n: unlocated.length, list: list });
      note.classList.remove("hidden");
    }
    status.dataset.ready = "1";
  }
  load().catch((e) => { status.textContent = T("error: %(message)s", { message: String(e) }); status.dataset.ready = "error"; });
})();
