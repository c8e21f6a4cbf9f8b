/* Behaviour every page shares. No framework: htmx does the requests.

   Loaded (deferred) by the base template before every page's own scripts,
   which use what it exports as window.Dashboard. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Run fn once the document is parsed (at once if it already is).
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  window.Dashboard = { ready: ready };

  // Plain forms that destroy something ask first (htmx buttons use hx-confirm).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Filters send only what is set, so shared URLs stay short and readable.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get" || !event.detail.formData) return;
    const empty = [];
    event.detail.formData.forEach(function (value, key) {
      if (value === "") empty.push(key);
    });
    empty.forEach(function (key) {
      const kept = event.detail.formData.getAll(key).filter(function (v) { return v !== ""; });
      event.detail.formData.delete(key);
      kept.forEach(function (v) { event.detail.formData.append(key, v); });
    });
  });

  // "Close" / "No, go back" on panels filled by htmx.
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-dismiss-panel]");
    if (!button) return;
    const panel = button.closest("[aria-live]") || button.closest(".bulk-panel");
    if (panel) panel.innerHTML = "";
  });

  // A network failure must not be silent.
  document.addEventListener("htmx:sendError", function () {
    window.alert("The server cannot be reached. Check the network and try again.");
  });
})();
