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
  window.T = function (text, values) {
    const out = Object.prototype.hasOwnProperty.call(load(), text) ? load()[text] : text;
    if (!values) return out;
    return out.replace(/%\((\w+)\)s/g, (m, name) => (Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : m));
  };
  window.xueliangLang = function () { return document.documentElement.lang || "en"; };
})();
