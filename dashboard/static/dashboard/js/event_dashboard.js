/* The event dashboard: tiles, charts and the feed.

   Two sources, one page:
   - the live stream (live.js): the tiles and the status chart follow the
     pushed counts. The page keeps by_status from the latest "numbers"
     snapshot and adds each "change" delta; a delta whose change ids are all
     at or below the snapshot's last_change_id is already counted and is
     skipped, and deltas that arrived before a newer snapshot but are not in
     it are added on top of it again. Pushed change rows go to the top of
     the feed (at most 50). The other charts (guest types, companies,
     arrivals, occupancy) are re-read from numbers.json, at most every ~5 s
     while changes keep arriving.
   - numbers.json (applyNumbers): on every (re)connect, and periodically —
     every 5 s while the socket is down (the fallback), every 30 s while it
     is live (a safety net; then the tiles stay with the stream).

   computeTiles() is dashboard/presenters.py's tiles_from_counts() in
   JavaScript, Python's round() included; a browser test compares them. */
(function () {
  "use strict";

  const charts = {};
  const FEED_MAX = 50;
  const CHARTS_EVERY_MS = 5000;
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  let cfg = null;        // live-config: statuses, sources, time zone, URLs
  let stream = null;     // live.js controller
  let feedItems = [];    // newest first, each with its change id
  // The live counts: the latest snapshot plus the deltas received since.
  const counts = { byStatus: null, capacity: 0, snapshotId: 0 };
  const applied = new Map(); // newest change id of a message -> its delta

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
    tr.dataset.changeId = item.id;
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

  // --- Numbers, as presenters.py computes them ------------------------------------

  /* Python's round(x, 1): the exact binary value of x rounded half to even.
     toFixed(100) prints that exact value (a double has a finite decimal
     expansion), so only a true tie (…d5000…) needs the even rule. */
  function pyRound1(x) {
    if (!isFinite(x)) return x;
    const sign = x < 0 ? -1 : 1;
    const digits = Math.abs(x).toFixed(100);
    const dot = digits.indexOf(".");
    let tenths = parseInt(digits.slice(0, dot) + digits.charAt(dot + 1), 10);
    const rest = digits.slice(dot + 2);
    const first = rest.charAt(0);
    const tail = rest.slice(1).replace(/0+$/, "");
    if (first > "5" || (first === "5" && tail !== "") || (first === "5" && tenths % 2 === 1)) {
      tenths += 1;
    }
    return sign * tenths / 10;
  }

  function percent(part, whole) {
    return whole ? pyRound1(100.0 * part / whole) : 0.0;
  }

  // How Python prints a float rounded to one decimal: "0.0", "12.5", "100.0".
  function formatPercent(value) {
    return Number(value).toFixed(1);
  }

  function computeTiles(byStatus, capacity) {
    const statuses = cfg.statuses.map(function (pair) { return pair[0]; });
    const total = statuses.reduce(function (sum, s) { return sum + (byStatus[s] || 0); }, 0);
    const attendees = cfg.seat_holding.reduce(function (sum, s) { return sum + (byStatus[s] || 0); }, 0);
    const onSite = byStatus.entered || 0;
    const seatsLeft = Math.max(0, capacity - attendees);
    const tiles = statuses.map(function (s) {
      return { key: s, value: byStatus[s] || 0, percent: percent(byStatus[s] || 0, total) };
    });
    tiles.push({ key: "attendees", value: attendees, percent: percent(attendees, capacity) });
    tiles.push({ key: "on_site", value: onSite, percent: percent(onSite, attendees) });
    tiles.push({ key: "seats_left", value: seatsLeft, percent: percent(seatsLeft, capacity) });
    return { tiles: tiles, total: total };
  }

  function showTiles(tiles) {
    tiles.forEach(function (tile) {
      const el = document.querySelector('[data-tile="' + tile.key + '"]');
      if (!el) return;
      el.querySelector("[data-value]").textContent = String(tile.value);
      el.querySelector("[data-percent]").textContent = formatPercent(tile.percent);
    });
  }

  function showCounts() {
    if (!counts.byStatus) return;
    const computed = computeTiles(counts.byStatus, counts.capacity);
    showTiles(computed.tiles);
    setText("[data-total]", computed.total);
    setText("[data-capacity]", counts.capacity);
    if (charts.status) {
      charts.status.data.datasets[0].data = cfg.statuses.map(function (pair) {
        return counts.byStatus[pair[0]] || 0;
      });
      charts.status.update();
    }
    showEmpty("status", !cfg.statuses.some(function (pair) { return counts.byStatus[pair[0]]; }));
  }

  // A chart with nothing to plot shows its note ("No check-ins yet") on top.
  function showEmpty(key, empty) {
    const note = document.querySelector('[data-empty-for="' + key + '"]');
    if (note) note.hidden = !empty;
  }

  function setText(selector, value) {
    const el = document.querySelector(selector);
    if (el) el.textContent = String(value);
  }

  function addDelta(delta) {
    Object.keys(delta).forEach(function (status) {
      counts.byStatus[status] = (counts.byStatus[status] || 0) + delta[status];
    });
  }

  function onNumbers(message) {
    counts.byStatus = Object.assign({}, message.by_status);
    counts.capacity = message.capacity;
    counts.snapshotId = message.last_change_id || 0;
    // Changes received earlier whose rows the snapshot did not count yet.
    applied.forEach(function (delta, id) {
      if (id > counts.snapshotId) addDelta(delta);
    });
    applied.forEach(function (_, id) {
      if (id <= counts.snapshotId) applied.delete(id);
    });
    showCounts();
  }

  function newestId(message) {
    return (message.changes || []).reduce(function (max, c) { return Math.max(max, c.id); }, 0);
  }

  function onChange(message) {
    const id = newestId(message);
    const delta = message.delta || {};
    if (id) {
      if (applied.has(id) || id <= counts.snapshotId) {
        // Already counted (by the snapshot or by an earlier copy).
      } else {
        applied.set(id, delta);
        if (counts.byStatus) addDelta(delta);
      }
    } else if (counts.byStatus) {
      addDelta(delta); // a deletion: no history row left to compare
    }
    showCounts();
    (message.changes || []).forEach(function (change) {
      addFeedItem(feedItemFrom(change, message.registrant));
    });
    showFeed();
    chartsSoon();
  }

  // --- The feed -----------------------------------------------------------------------

  const timeParts = {};
  function localTime(iso) {
    const tz = cfg.time_zone;
    if (!timeParts[tz]) {
      timeParts[tz] = new Intl.DateTimeFormat("en-GB", {
        timeZone: tz, day: "2-digit", month: "numeric", hour: "2-digit", minute: "2-digit",
        hourCycle: "h23",
      });
    }
    const parts = {};
    timeParts[tz].formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    // presenters.local_time(with_date=True): "%d %b %H:%M".
    return parts.day + " " + MONTHS[parseInt(parts.month, 10) - 1] + " " + parts.hour + ":" + parts.minute;
  }

  function statusLabel(status) {
    const pair = cfg.statuses.find(function (p) { return p[0] === status; });
    return pair ? pair[1] : status;
  }

  function feedItemFrom(change, registrant) {
    return {
      id: change.id,
      at: change.at,
      time: localTime(change.at),
      registrant: registrant.name || "",
      company: registrant.company || "",
      url: cfg.registrant_url.replace("/0/", "/" + registrant.id + "/"),
      from_status: change.from_status,
      from_label: change.from_status ? statusLabel(change.from_status) : cfg.no_status_label,
      to_status: change.to_status,
      to_label: statusLabel(change.to_status),
      actor: change.actor || cfg.system_actor,
      source: cfg.sources[change.source] || change.source,
      note: change.note || "",
    };
  }

  function addFeedItem(item) {
    feedItems = feedItems.filter(function (known) { return known.id !== item.id; });
    feedItems.push(item);
  }

  function showFeed() {
    feedItems.sort(function (a, b) { return b.id - a.id; });
    feedItems = feedItems.slice(0, FEED_MAX);
    const feed = document.getElementById("feed");
    if (!feedItems.length) return;
    feed.replaceChildren.apply(feed, feedItems.map(feedRow));
  }

  // --- numbers.json -------------------------------------------------------------------

  function applyNumbers(numbers) {
    const live = stream && stream.isLive() && counts.byStatus;
    if (!live) {
      // Without the stream, numbers.json is the truth for the tiles too.
      showTiles(numbers.tiles);
      setText("[data-total]", numbers.total);
      setText("[data-capacity]", numbers.capacity);
      setChart(charts.status, numbers.charts.status);
    }
    const c = numbers.charts;
    setChart(charts.guestTypes, c.guest_types);
    setChart(charts.companies, c.companies);
    setChart(charts.arrivals, c.arrivals);
    setChart(charts.occupancy, c.occupancy);
    Object.keys(numbers.empty || {}).forEach(function (key) {
      if (key !== "status" || !live) showEmpty(key, numbers.empty[key]);
    });
    // Rows pushed while the read was on its way stay; the read fills the rest.
    numbers.feed.forEach(addFeedItem);
    showFeed();
    const generated = document.querySelector("[data-generated]");
    if (generated) generated.textContent = numbers.generated_time;
  }

  let fetching = null;
  let lastRead = 0;
  let readTimer = null;

  function refresh() {
    if (fetching) return fetching;
    lastRead = Date.now();
    fetching = fetch(cfg.numbers_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          if (stream) stream.close();
          problem("Your session has ended: reload the page to log in again.");
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (numbers) {
        if (!numbers) return;
        applyNumbers(numbers);
        problem("");
        if (stream) stream.nudge(); // the server answers: try the socket now
      })
      .catch(function () {
        problem("Cannot reach the server; showing the last numbers. Retrying…");
      })
      .then(function () { fetching = null; });
    return fetching;
  }

  // The charts that are not pushed: re-read at most every CHARTS_EVERY_MS.
  function chartsSoon() {
    if (readTimer) return;
    const wait = Math.max(300, lastRead + CHARTS_EVERY_MS - Date.now());
    readTimer = window.setTimeout(function () {
      readTimer = null;
      refresh();
    }, wait);
  }

  function problem(text) {
    if (stream) stream.setProblem(text);
    else {
      const el = document.querySelector("[data-live-problem]");
      if (el) { el.textContent = text; el.hidden = !text; }
    }
  }

  window.Dashboard.ready(function () {
    const data = document.getElementById("dashboard-numbers");
    cfg = window.LiveStream && window.LiveStream.config();
    if (!data || !cfg) return;
    const numbers = JSON.parse(data.textContent);
    makeCharts(numbers);
    numbers.feed.forEach(addFeedItem);
    feedItems.sort(function (a, b) { return b.id - a.id; });
    stream = window.LiveStream.start({
      url: cfg.url,
      onOpen: refresh,
      onNumbers: onNumbers,
      onChange: onChange,
      refresh: refresh,
      downSeconds: cfg.down_seconds,
      liveSeconds: cfg.live_seconds,
    });
    window.eventDashboard = {
      applyNumbers: applyNumbers,
      refresh: refresh,
      computeTiles: function (byStatus, capacity) {
        return computeTiles(byStatus, capacity).tiles.map(function (t) {
          return { key: t.key, value: t.value, percent: formatPercent(t.percent) };
        });
      },
      stream: stream,
    };
  });
})();
