// The page's language for texts built in JavaScript: T("English text", {name: value}) looks the text up in
// the translations the server embedded as data (<script type="application/json" id="i18n-messages">, not
// executed, so the CSP stays strict) and fills its %(name)s placeholders; values are kept as given.
(function () {
  "use strict";
  let messages = null;
  function load() {
    if (messages === null) {
      const el = document.getElementById("i18n-messages");
      try { messages = el ? JSON.parse(el.textContent || "{}") : {}; } catch (e) { messages = {}; }
    }
    return messages;
  }
  function T(text, values) {
    const out = Object.prototype.hasOwnProperty.call(load(), text) ? load()[text] : text;
    if (!values) return out;
    return out.replace(/%\((\w+)\)s/g, (m, name) => (Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : m));
  }
  window.T = T;
  window.xueliangLang = function () { return document.documentElement.lang || "en"; };
  // Leaflet's own control titles (zoom, layers, its attribution link) in the page's language
  window.xueliangMapTexts = function (map) {
    const box = map.getContainer();
    const label = (selector, text) => {
      for (const el of box.querySelectorAll(selector)) { el.title = text; el.setAttribute("aria-label", text); }
    };
    label(".leaflet-control-zoom-in", T("Zoom in"));
    label(".leaflet-control-zoom-out", T("Zoom out"));
    label(".leaflet-control-layers-toggle", T("Layers"));
    for (const a of box.querySelectorAll(".leaflet-control-attribution a[title]")) a.title = T("A JavaScript library for interactive maps");
  };
})();
