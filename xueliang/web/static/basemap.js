// Basemap from the served OSM extract (no tiles, no internet): roads by class, buildings, water and admin
// boundaries, fetched for the visible box and zoom and drawn on a canvas pane under every other layer.
(function () {
  "use strict";
  const STYLE = {
    water: { color: "#7fb2e5", weight: 1, fillColor: "#a9cff2", fillOpacity: 1 },
    admin: { color: "#8a5ca8", weight: 2, dashArray: "6 4", fill: false },
    building: { color: "#b9aea3", weight: 0.6, fillColor: "#d9d0c7", fillOpacity: 1 },
    major: { color: "#e8a33d", weight: 5 },
    secondary: { color: "#f3d27a", weight: 4 },
    minor: { color: "#ffffff", weight: 3 },
  };
  function style(f) {
    const p = f.properties;
    return p.layer === "road" ? STYLE[p.kind] || STYLE.minor : STYLE[p.layer] || STYLE.minor;
  }
  window.xueliangBasemap = function (map, url) {
    const el = map.getContainer();
    el.style.background = "#efeae2";
    map.createPane("basemap");
    map.getPane("basemap").style.zIndex = 250;
    const renderer = L.canvas({ pane: "basemap", padding: 0.3 });
    let layer = null;
    let seq = 0;
    async function draw(params) {
      const mine = ++seq;
      const r = await fetch(url + "?" + new URLSearchParams(params));
      if (!r.ok) { el.dataset.basemap = "none"; return null; }
      const fc = await r.json();
      if (mine !== seq) return fc;
      const next = L.geoJSON(fc, { pane: "basemap", renderer: renderer, style: style, interactive: false });
      if (layer) map.removeLayer(layer);
      layer = next.addTo(map);
      el.dataset.basemap = String(fc.features.length);
      return fc;
    }
    let timer = null;
    function refresh() {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const b = map.getBounds().pad(0.2);
        draw({ bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(","),
               zoom: String(map.getZoom()) });
      }, 150);
    }
    // first draw: the whole extract at a town-wide zoom; then per view on every move
    return draw({ zoom: "14" }).then((fc) => {
      map.on("moveend", refresh);
      if (fc && fc.features.length) {
        const b = L.geoJSON(fc).getBounds();
        if (!map._loaded && b.isValid()) map.fitBounds(b);
      }
      if (map._loaded) refresh();
      return fc;
    });
  };
})();
