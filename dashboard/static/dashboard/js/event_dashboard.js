/* The event dashboard: tiles, charts and the feed, from one JSON shape.

   applyNumbers(numbers) is the only function that changes the page. Today
   a timer re-reads numbers.json every few seconds and calls it; a live push
   (websocket) can call window.eventDashboard.applyNumbers with the same
   JSON later, and keep the timer as the fallback. */
(function () {
  "use strict";

  const charts = {};
  let timer = null;

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function baseOptions(extra) {
    return Object.assign({
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 250 },
      plugins: { legend: { display: false } },
    }, extra || {});
  }

  function integerAxis() {
    return { beginAtZero: true, ticks: { precision: 0, color: "#334155" }, grid: { color: "#e2e8f0" } };
  }

  function palette(n) {
    const colours = ["#1d4ed8", "#15803d", "#b45309", "#7e22ce", "#0e7490", "#be185d",
      "#4d7c0f", "#c2410c", "#4338ca", "#0f766e", "#64748b", "#94a3b8"];
    return Array.from({ length: n }, function (_, i) { return colours[i % colours.length]; });
  }

  function makeCharts(numbers) {
    if (!window.Chart) return;
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#334155";
    const c = numbers.charts;
    charts.status = new window.Chart(document.getElementById("chart-status"), {
      type: "doughnut",
      data: { labels: c.status.labels, datasets: [{ data: c.status.values, backgroundColor: c.status.colours, borderColor: "#fff" }] },
      options: baseOptions({ plugins: { legend: { display: true, position: "right" } } }),
    });
    charts.guestTypes = new window.Chart(document.getElementById("chart-guest-types"), {
      type: "bar",
      data: { labels: c.guest_types.labels, datasets: [{ label: "Attendees", data: c.guest_types.values, backgroundColor: palette(c.guest_types.values.length) }] },
      options: baseOptions({ scales: { y: integerAxis(), x: { ticks: { color: "#334155" }, grid: { display: false } } } }),
    });
    charts.companies = new window.Chart(document.getElementById("chart-companies"), {
      type: "bar",
      data: { labels: c.companies.labels, datasets: [{ label: "Attendees", data: c.companies.values, backgroundColor: "#1d4ed8" }] },
      options: baseOptions({ indexAxis: "y", scales: { x: integerAxis(), y: { ticks: { color: "#334155" }, grid: { display: false } } } }),
    });
    charts.arrivals = new window.Chart(document.getElementById("chart-arrivals"), {
      type: "bar",
      data: { labels: c.arrivals.labels, datasets: [{ label: "First check-ins", data: c.arrivals.values, backgroundColor: "#1d4ed8" }] },
      options: baseOptions({ scales: { y: integerAxis(), x: { ticks: { color: "#334155" }, grid: { display: false } } } }),
    });
    charts.occupancy = new window.Chart(document.getElementById("chart-occupancy"), {
      type: "line",
      data: { labels: c.occupancy.labels, datasets: [{ label: "Inside", data: c.occupancy.values, borderColor: "#15803d", backgroundColor: "rgba(21, 128, 61, 0.15)", fill: true, stepped: true, pointRadius: 2 }] },
      options: baseOptions({ scales: { y: integerAxis(), x: { ticks: { color: "#334155" }, grid: { display: false } } } }),
    });
  }

  function setChart(chart, series) {
    if (!chart) return;
    chart.data.labels = series.labels;
    chart.data.datasets[0].data = series.values;
    if (series.colours) chart.data.datasets[0].backgroundColor = series.colours;
    else if (chart.config.type === "bar" && chart.data.datasets[0].backgroundColor instanceof Array) {
      chart.data.datasets[0].backgroundColor = palette(series.values.length);
    }
    chart.update();
  }

  function cell(content) {
    const td = document.createElement("td");
    if (content instanceof Node) td.appendChild(content);
    else td.textContent = content;
    return td;
  }

  function badge(status, label) {
    const span = document.createElement("span");
    span.className = "status status--" + (status || "new");
    span.textContent = label;
    return span;
  }

  function feedRow(item) {
    const tr = document.createElement("tr");
    const time = document.createElement("time");
    time.dateTime = item.at;
    time.textContent = item.time;
    tr.appendChild(cell(time));

    const who = document.createDocumentFragment();
    const link = document.createElement("a");
    link.href = item.url;
    link.textContent = item.registrant;
    who.appendChild(link);
    if (item.company) {
      const company = document.createElement("span");
      company.className = "muted";
      company.textContent = " · " + item.company;
      who.appendChild(document.createTextNode(" "));
      who.appendChild(company);
    }
    tr.appendChild(cell(who));

    const change = document.createDocumentFragment();
    change.appendChild(badge(item.from_status, item.from_label));
    change.appendChild(document.createTextNode(" → "));
    change.appendChild(badge(item.to_status, item.to_label));
    if (item.note) {
      const note = document.createElement("span");
      note.className = "muted";
      note.textContent = " “" + item.note + "”";
      change.appendChild(note);
    }
    tr.appendChild(cell(change));
    tr.appendChild(cell(item.actor));
    tr.appendChild(cell(item.source));
    return tr;
  }

  function applyNumbers(numbers) {
    numbers.tiles.forEach(function (tile) {
      const el = document.querySelector('[data-tile="' + tile.key + '"]');
      if (!el) return;
      el.querySelector("[data-value]").textContent = tile.value;
      el.querySelector("[data-percent]").textContent = tile.percent;
    });
    const c = numbers.charts;
    setChart(charts.status, c.status);
    setChart(charts.guestTypes, c.guest_types);
    setChart(charts.companies, c.companies);
    setChart(charts.arrivals, c.arrivals);
    setChart(charts.occupancy, c.occupancy);

    const feed = document.getElementById("feed");
    const rows = numbers.feed.map(feedRow);
    if (rows.length) feed.replaceChildren.apply(feed, rows);
    const generated = document.querySelector("[data-generated]");
    if (generated) generated.textContent = numbers.generated_time;
  }

  function setState(state, problem) {
    const el = document.getElementById("live-state");
    if (!el) return;
    el.dataset.state = state;
    el.querySelector("[data-live-ok]").hidden = state !== "ok";
    const text = el.querySelector("[data-live-problem]");
    text.hidden = state === "ok";
    text.textContent = problem || "";
  }

  function refresh(url) {
    if (document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          setState("ended", "Your session has ended: reload the page to log in again.");
          window.clearInterval(timer);
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (numbers) {
        if (!numbers) return;
        applyNumbers(numbers);
        setState("ok");
      })
      .catch(function () {
        setState("stale", "Cannot reach the server; showing the last numbers. Retrying…");
      });
  }

  ready(function () {
    const data = document.getElementById("dashboard-numbers");
    const config = document.getElementById("dashboard-config");
    if (!data || !config) return;
    const numbers = JSON.parse(data.textContent);
    makeCharts(numbers);
    const url = config.dataset.numbersUrl;
    const seconds = parseInt(config.dataset.refreshSeconds, 10) || 5;
    timer = window.setInterval(function () { refresh(url); }, seconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) refresh(url);
    });
    window.eventDashboard = { applyNumbers: applyNumbers, refresh: function () { refresh(url); } };
  });
})();
