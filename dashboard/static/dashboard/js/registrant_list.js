/* The registrant list: row selection for bulk actions, and re-reading the
   list after a bulk action changed it. */
(function () {
  "use strict";

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#results .row-select"));
  }

  function updateSelection() {
    const all = boxes();
    const chosen = all.filter(function (b) { return b.checked; }).length;
    const count = document.getElementById("selected-count");
    if (count) count.textContent = chosen + " selected";
    document.querySelectorAll("[data-bulk-button]").forEach(function (button) {
      button.disabled = chosen === 0;
    });
    const selectAll = document.getElementById("select-all");
    if (selectAll) {
      selectAll.checked = chosen > 0 && chosen === all.length;
      selectAll.indeterminate = chosen > 0 && chosen < all.length;
    }
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.id === "select-all") {
      boxes().forEach(function (b) { b.checked = target.checked; });
    }
    if (target.id === "select-all" || target.classList.contains("row-select")) updateSelection();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target.id === "results") updateSelection();
    if (event.target.id === "bulk-panel") {
      const body = document.getElementById("bulk-panel-body");
      if (body) body.focus();
    }
  });

  // After a bulk action: the server sends HX-Trigger "registrants-changed";
  // the list re-reads the current URL (its filters, ordering and page).
  document.body.addEventListener("registrants-changed", function () {
    window.htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#results", swap: "innerHTML",
    });
  });

  document.addEventListener("DOMContentLoaded", updateSelection);
  if (document.readyState !== "loading") updateSelection();
})();
