// The watch-alerts page: each alert's camera on the locally served Leaflet map, and acknowledging an
// alert (POST /api/alerts/ID/ack). Every value goes into the page as text (textContent), never as HTML.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("alert-data").textContent);
  const map = L.map(document.getElementById("alert-map"));
  L.control.scale({ imperial: false }).addTo(map);
  const markers = [];

  function popup(a) {
    const div = document.createElement("div");
    for (const text of ["alert " + a.id + ": " + (a.plate_text || a.colour + " " + a.vehicle_type),
                        "camera " + a.camera_id, a.seen_at.replace("T", " ").slice(0, 19) + " UTC",
                        "rule " + a.rule.id + ": " + a.rule.describe]) {
      const line = document.createElement("div");
      line.textContent = text;
      div.appendChild(line);
    }
    return div;
  }
  data.forEach((a, i) => {
    markers[i] = a.lat === null || a.lon === null ? null : L.marker([a.lat, a.lon]).bindPopup(popup(a)).addTo(map);
  });
  const points = data.filter((a) => a.lat !== null && a.lon !== null).map((a) => [a.lat, a.lon]);
  if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 16 });
  else map.setView([0, 0], 2);

  document.querySelectorAll("button.show-camera").forEach((b) =>
    b.addEventListener("click", () => {
      const m = markers[Number(b.dataset.index)];
      if (m) { map.setView(m.getLatLng(), Math.max(map.getZoom(), 15)); m.openPopup(); }
    }));

  document.querySelectorAll("button.ack-button").forEach((b) =>
    b.addEventListener("click", async () => {
      const cell = b.closest("td");
      const note = cell.querySelector("input.ack-note").value;
      b.disabled = true;
      const resp = await fetch("/api/alerts/" + encodeURIComponent(b.dataset.alert) + "/ack", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ note: note }),
        credentials: "same-origin",
      });
      const body = await resp.json();
      cell.replaceChildren();
      const text = document.createElement("span");
      if (resp.ok) {
        text.textContent = body.acknowledged_by + " " + body.acknowledged_at.slice(0, 19).replace("T", " ") +
          (body.ack_note ? ": " + body.ack_note : "");
      } else {
        text.className = "error";
        text.textContent = typeof body.detail === "string" ? body.detail : "refused (" + resp.status + ")";
      }
      cell.appendChild(text);
    }));
})();
