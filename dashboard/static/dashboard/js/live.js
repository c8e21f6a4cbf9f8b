/* The live stream of one event, for any page: a small client, no framework.

   window.LiveStream.start(options) opens ws(s)://<host><options.url> (the
   browser sends the session cookie; the server refuses other origins) and
   calls the page back:

     onOpen()        every (re)connect: the page re-reads what it shows, so
                     that nothing missed while the socket was down stays on
                     screen (counts, rows, recent scans).
     onNumbers(m)    {"type": "numbers", by_status, capacity, last_change_id}:
                     on connect, on {"type": "resync"} and every 3 s.
     onChange(m)     {"type": "change", kind, action?, registrant, changes,
                     delta}: one committed change.
   Several of these may come as one frame, a JSON array, in order.

   State, shown by the page's indicator (an element with data-live-indicator,
   data-live-label and optionally data-live-problem inside):
     connecting    first attempt after the page loaded;
     live          the socket is open and a message has arrived;
     reconnecting  the socket dropped; the next attempt waits 1 s, 2 s, 4 s …
                   up to 15 s, each with ±50 % jitter so that a restarted
                   server is not hit by every page at the same instant;
     ended         the server refused us for good (4401 session over, 4403
                   no right, 4404 no such event): no more attempts.
   A socket that stays silent for 10 s (the server sends numbers every 3 s)
   is taken for dead and replaced; "online" and a successful fallback read
   (nudge()) retry at once instead of waiting for the backoff, where a
   socket worked before (a server without websockets only sees the backoff).

   Periodic refresh (options.refresh, the page's own re-read over HTTP):
   while the socket is down it runs every options.downSeconds (the dashboard
   5 s, the list 15 s, the desk 20 s) — the fallback that keeps the page
   current without the stream; while the socket is live it slows to every
   options.liveSeconds (30 s or more), a safety net only, since every change
   is pushed. Hidden tabs skip the periodic refresh and catch up when shown. */
(function () {
  "use strict";

  const FIRST_DELAY_MS = 1000;
  const MAX_DELAY_MS = 15000;
  const SILENCE_MS = 10000;
  const FINAL_CODES = {
    4401: "Your session has ended: reload the page to log in again.",
    4403: "Your role may not follow this event live.",
    4404: "This event no longer exists.",
  };
  const LABELS = {
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Reconnecting…",
    ended: "Not live",
  };

  function noop() {}

  function backoffDelay(attempt) {
    const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * Math.pow(2, attempt));
    return Math.round(ceiling * (0.5 + Math.random() * 0.5));
  }

  function start(options) {
    const onOpen = options.onOpen || noop;
    const onNumbers = options.onNumbers || noop;
    const onChange = options.onChange || noop;
    const onState = options.onState || noop;
    const refresh = options.refresh || null;
    const downMs = (options.downSeconds || 5) * 1000;
    const liveMs = (options.liveSeconds || 30) * 1000;
    const indicator = options.indicator || document.querySelector("[data-live-indicator]");
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const url = scheme + window.location.host + options.url;

    let socket = null;
    let state = "connecting";
    let attempt = 0;
    let retryTimer = null;
    let silenceTimer = null;
    let refreshTimer = null;
    let refreshEvery = 0;
    let problem = "";
    let everLive = false;

    function show() {
      if (!indicator) return;
      indicator.dataset.state = state;
      const label = indicator.querySelector("[data-live-label]");
      if (label) label.textContent = LABELS[state];
      const text = indicator.querySelector("[data-live-problem]");
      if (text) {
        text.textContent = problem;
        text.hidden = !problem;
      }
    }

    function setState(next) {
      if (next === state) return;
      state = next;
      show();
      schedulePeriodic();
      onState(state);
    }

    function schedulePeriodic() {
      if (!refresh) return;
      const every = state === "live" ? liveMs : downMs;
      if (every === refreshEvery && refreshTimer !== null) return;
      window.clearInterval(refreshTimer);
      refreshEvery = every;
      refreshTimer = window.setInterval(function () {
        if (!document.hidden) refresh();
      }, every);
    }

    function watchSilence() {
      window.clearTimeout(silenceTimer);
      silenceTimer = window.setTimeout(function () {
        // Half-open connections (a laptop lid, a lost Wi-Fi) never close by
        // themselves; the snapshots every 3 s tell us the socket is alive.
        if (socket) socket.close(4000, "silent");
      }, SILENCE_MS);
    }

    function retryLater() {
      window.clearTimeout(retryTimer);
      const delay = backoffDelay(attempt);
      attempt += 1;
      retryTimer = window.setTimeout(connect, delay);
    }

    function connect() {
      window.clearTimeout(retryTimer);
      retryTimer = null;
      if (state === "ended" || socket) return;
      let ws;
      try {
        ws = new WebSocket(url);
      } catch (err) {
        setState("reconnecting");
        retryLater();
        return;
      }
      socket = ws;
      let greeted = false;
      ws.onopen = function () {
        watchSilence();
      };
      ws.onmessage = function (event) {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (err) {
          return;
        }
        watchSilence();
        if (!greeted) {
          greeted = true;
          attempt = 0;
          everLive = true;
          setState("live");
          onOpen();
        }
        // Frames that queued up on the server while it was behind arrive
        // as one array, in order.
        const messages = Array.isArray(message) ? message : [message];
        for (const one of messages) {
          if (!one) continue;
          if (one.type === "numbers") onNumbers(one);
          else if (one.type === "change") onChange(one);
        }
      };
      ws.onclose = function (event) {
        if (socket !== ws) return;
        socket = null;
        window.clearTimeout(silenceTimer);
        if (FINAL_CODES[event.code]) {
          problem = FINAL_CODES[event.code];
          setState("ended");
          show();
          return;
        }
        setState("reconnecting");
        if (refresh && greeted && !document.hidden) refresh(); // fall back at once
        retryLater();
      };
    }

    function nudge() {
      // Something says the server is reachable again: do not wait for the
      // backoff. Only where a socket worked before: a server without
      // websockets (WSGI) keeps the plain backoff, not one attempt per read.
      if (state === "reconnecting" && !socket && everLive) connect();
    }

    window.addEventListener("online", nudge);
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) return;
      if (refresh) refresh();
      nudge();
    });

    show();
    schedulePeriodic();
    connect();

    return {
      get state() { return state; },
      isLive: function () { return state === "live"; },
      nudge: nudge,
      resync: function () {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resync" }));
      },
      setProblem: function (text) {
        problem = text || "";
        show();
      },
      close: function () {
        state = "ended";
        window.clearTimeout(retryTimer);
        window.clearInterval(refreshTimer);
        if (socket) socket.close(1000, "page closed");
        show();
      },
    };
  }

  /* The indicator's config and the page's labels, embedded with json_script
     by dashboard/live_pages.py (live_page_config). */
  function config() {
    const el = document.getElementById("live-config");
    return el ? JSON.parse(el.textContent) : null;
  }

  window.LiveStream = { start: start, config: config, backoffDelay: backoffDelay };
})();
