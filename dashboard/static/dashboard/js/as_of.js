/* The dashboard's "as of" card: a slider over the event's history; the
   counts of the chosen moment come from GET /api/v1/events/{id}/stats/?at=,
   and each status links to the list of who had it then. */
(function () {
  "use strict";
  const source = document.getElementById("as-of-config");
  const card = document.querySelector("[data-as-of]");
  if (!source || !card) return;
  const cfg = JSON.parse(source.textContent);
  const slider = document.getElementById("as-of-slider");
  const output = document.getElementById("as-of-time");
  const counts = card.querySelector("[data-as-of-counts]");
  const error = card.querySelector("[data-as-of-error]");
  const start = Date.parse(cfg.start);
  const end = Date.parse(cfg.end);
  const step = cfg.step_seconds * 1000;
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: cfg.time_zone, day: "numeric", month: "short", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23",
  });
  let timer = null;
  let asked = 0;

  slider.max = String(Math.max(0, Math.ceil((end - start) / step)));
  slider.value = slider.max;
  card.hidden = false;

  // The slider's last position is now: the live figures, no `at`.
  function chosen() {
    const t = start + Number(slider.value) * step;
    return t >= end ? null : new Date(t);
  }

  function showMoment() {
    const moment = chosen();
    const text = moment ? format.format(moment) : "Now";
    output.textContent = text;
    slider.setAttribute("aria-valuetext", text);
  }

  function listUrl(status, moment) {
    const query = new URLSearchParams({ status_at: status });
    if (moment) query.set("at", moment.toISOString());
    return cfg.list_url + "?" + query.toString();
  }

  function show(stats, moment) {
    cfg.statuses.forEach(function (entry) {
      const item = counts.querySelector('[data-as-of-status="' + entry[0] + '"]');
      item.querySelector("[data-as-of-count]").textContent = String(stats.by_status[entry[0]]);
      const link = item.querySelector("[data-as-of-link]");
      link.href = listUrl(entry[0], moment);
      link.setAttribute("aria-label", "Who was " + entry[1].toLowerCase() + " then");
    });
    counts.querySelector("[data-as-of-attendees]").textContent = String(stats.attendees);
    card.setAttribute("data-as-of-shown", moment ? moment.toISOString() : "now");
  }

  function load() {
    const moment = chosen();
    const mine = ++asked;
    const url = cfg.stats_url + (moment ? "?at=" + encodeURIComponent(moment.toISOString()) : "");
    counts.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (stats) {
        if (mine !== asked) return; // a later move already asked again
        error.hidden = true;
        show(stats, moment);
      })
      .catch(function () {
        if (mine !== asked) return;
        error.textContent = "The counts of that moment could not be read. Try again.";
        error.hidden = false;
      })
      .finally(function () {
        if (mine === asked) counts.setAttribute("aria-busy", "false");
      });
  }

  // Dragging asks once the hand rests; a key press or a release at once.
  slider.addEventListener("input", function () {
    showMoment();
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 250);
  });
  slider.addEventListener("change", function () {
    window.clearTimeout(timer);
    load();
  });
  showMoment();
  show(cfg.now, null); // the page's own figures of now: no second read
})();
