/* The registrant list: row selection for bulk actions, re-reading the list
   after a bulk action changed it, and following the event live (live.js):
   a pushed change re-reads that registrant's row if it is on this page
   (its checkbox keeps its state), and the status chips' counts are re-read
   at most once a second. On every (re)connect, and every 15 s while the
   socket is down (60 s while it is live), the whole result table is re-read
   for the current URL, keeping the ticked checkboxes. */
(function () {
  "use strict";

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#results .row-select"));
  }

  function updateSelection() {
    const all = boxes();
    const chosen = all.filter(function (b) { return b.checked; }).length;
    // "Select all N matching" stands for every page: the server re-reads the
    // filters and asks for a confirmation naming N.
    const matching = document.getElementById("select-matching");
    const everyMatch = matching && matching.checked;
    const count = document.getElementById("selected-count");
    if (count) {
      // The total is there only when the list was counted (its "Count them" link).
      const total = matching && matching.dataset.total ? matching.dataset.total + " " : "";
      count.textContent = everyMatch ? "All " + total + "matching selected" : chosen + " selected";
    }
    document.querySelectorAll("[data-bulk-button]").forEach(function (button) {
      button.disabled = chosen === 0 && !everyMatch;
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
    if (target.classList.contains("row-select") && !target.checked) {
      const matching = document.getElementById("select-matching");
      if (matching) matching.checked = false;
    }
    if (target.id === "select-matching") {
      boxes().forEach(function (b) { b.checked = target.checked; });
    }
    if (target.id === "select-all" || target.id === "select-matching" || target.classList.contains("row-select")) updateSelection();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target.id === "results") updateSelection();
    if (event.target.id === "bulk-panel") {
      const body = document.getElementById("bulk-panel-body");
      if (body) body.focus();
    }
  });

  // A large bulk action refused because the job queue is down (503) carries
  // its explanation for the panel: show it rather than nothing.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (event.detail.xhr.status === 503 && target && target.id === "bulk-panel") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a bulk action: the server sends HX-Trigger "registrants-changed";
  // the list re-reads the current URL (its filters, ordering and page).
  document.body.addEventListener("registrants-changed", function () {
    rereadResults();
  });

  function checkedIds() {
    return boxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
  }

  function restoreChecked(ids) {
    boxes().forEach(function (b) { if (ids.indexOf(b.value) >= 0) b.checked = true; });
    updateSelection();
  }

  // Re-read the result table for the current URL, keeping the ticked boxes.
  // The ticks are read just before the swap, not when the request leaves:
  // a box ticked while the re-read is on its way must survive it.
  let rereading = false;
  let changedWhileRereading = null; // row ids changed while the whole list is re-read
  let ticksAtSwap = null;

  function rereadResults() {
    const results = document.getElementById("results");
    // The user's own filter request is on its way (hx-indicator="#results").
    if (!results || !window.htmx || results.classList.contains("htmx-request")) return;
    rereading = true;
    changedWhileRereading = new Set();
    window.htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#results", swap: "innerHTML",
    }).finally(function () {
      rereading = false;
      // The whole list may have been rendered before a change that arrived
      // meanwhile, and its swap may land after that row's own re-read:
      // read those rows again, so that no change is undone by older HTML.
      const changed = changedWhileRereading;
      changedWhileRereading = null;
      if (changed) changed.forEach(rereadRow);
    });
  }

  function isResults(event) {
    return event.detail && event.detail.target && event.detail.target.id === "results";
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (rereading && isResults(event)) ticksAtSwap = checkedIds();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (ticksAtSwap && isResults(event)) {
      restoreChecked(ticksAtSwap);
      ticksAtSwap = null;
    }
  });

  // --- Live ----------------------------------------------------------------------------

  let cfg = null;
  let countsTimer = null;
  let lastCounts = 0;

  function countsSoon() {
    if (countsTimer) return;
    const wait = Math.max(250, lastCounts + 1000 - Date.now());
    countsTimer = window.setTimeout(function () {
      countsTimer = null;
      lastCounts = Date.now();
      fetch(cfg.counts_url + window.location.search, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          Object.keys(data.counts).forEach(function (status) {
            const el = document.getElementById("count-" + status);
            if (el) el.textContent = String(data.counts[status]);
          });
        })
        .catch(function () { /* the periodic re-read catches up */ });
    }, wait);
  }

  function rereadRow(id) {
    const row = document.getElementById("row-" + id);
    if (!row) return;
    // The user's own click on this row is on its way; its answer is the new row.
    if (row.querySelector(".htmx-request") || row.classList.contains("htmx-request")) return;
    const url = cfg.row_url.replace("/0/", "/" + id + "/") + "?next=" +
      encodeURIComponent(window.location.pathname + window.location.search);
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || document.getElementById("row-" + id) !== row) return;
        const box = row.querySelector(".row-select");
        const ticked = box ? box.checked : false;
        const holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        const fresh = holder.querySelector("tr");
        if (!fresh) return;
        row.replaceWith(fresh);
        window.htmx.process(fresh);
        const newBox = fresh.querySelector(".row-select");
        if (newBox) newBox.checked = ticked;
        updateSelection();
      })
      .catch(function () { /* the periodic re-read catches up */ });
  }

  function onChange(message) {
    const registrant = message.registrant || {};
    if (changedWhileRereading && registrant.id) changedWhileRereading.add(registrant.id);
    const row = document.getElementById("row-" + registrant.id);
    if (row) {
      // An erased registrant keeps its row (marked erased): re-read like an edit.
      if (message.kind !== "status" || row.dataset.status !== registrant.status) {
        rereadRow(registrant.id);
      }
    }
    countsSoon();
  }

  function startLive() {
    cfg = window.LiveStream && window.LiveStream.config();
    if (!cfg || !document.getElementById("results")) return;
    window.registrantList = {
      stream: window.LiveStream.start({
        url: cfg.url,
        onOpen: rereadResults,
        onChange: onChange,
        refresh: rereadResults,
        downSeconds: cfg.down_seconds,
        liveSeconds: cfg.live_seconds,
      }),
    };
  }

  window.Dashboard.ready(function () {
    updateSelection();
    startLive();
  });
})();
