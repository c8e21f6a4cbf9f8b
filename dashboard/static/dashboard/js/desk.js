/* The check-in desk, keyboard first.

   One input takes what a USB scanner types (a code, then Enter) or a name.
   While a name is typed, htmx fills the match list; the arrow keys move
   through it and Enter picks the highlighted person. Enter with nothing
   highlighted sends the input as a code. Escape clears. After every answer
   the input is empty and focused again, ready for the next badge.

   Camera scanning lives in desk_camera.js and sends codes through the same
   form; a tone per answer and badge printing on check-in are below.

   Live (live.js): when someone elsewhere changes a registrant of the last
   scans (another desk, the list, the API), that scan's status badge changes
   in place. On every (re)connect, and every 20 s while the socket is down
   (60 s while it is live), the list of last scans is re-read. */
(function () {
  "use strict";

  window.Dashboard.ready(function () {
    const form = document.getElementById("desk-form");
    const input = document.getElementById("desk-input");
    const picked = document.getElementById("desk-registrant");
    const list = document.getElementById("desk-matches");
    const desk = document.getElementById("desk");
    if (!form || !input) return;
    let active = -1;

    function options() {
      return Array.prototype.slice.call(list.querySelectorAll("[data-registrant]"));
    }

    function highlight(index) {
      const all = options();
      active = all.length ? Math.max(-1, Math.min(index, all.length - 1)) : -1;
      all.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
        option.classList.toggle("match--active", i === active);
      });
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", all[active].id);
        all[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function clearMatches() {
      list.innerHTML = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function submit(registrantId) {
      picked.value = registrantId || "";
      if (!registrantId && !input.value.trim()) return;
      form.requestSubmit();
    }

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active - 1);
      } else if (event.key === "Escape") {
        event.preventDefault();
        input.value = "";
        clearMatches();
      } else if (event.key === "Enter") {
        event.preventDefault();
        const all = options();
        let choice = active >= 0 && all[active] ? all[active].dataset.registrant : "";
        // A typed name with exactly one match, listed for exactly this text:
        // Enter checks that person in (sent as a code it would be unknown).
        if (!choice && all.length === 1 && all[0].dataset.query === input.value.trim()) {
          choice = all[0].dataset.registrant;
        }
        submit(choice);
      }
    });

    list.addEventListener("mousedown", function (event) {
      event.preventDefault(); // keep the focus in the input
    });
    list.addEventListener("click", function (event) {
      const option = event.target.closest("[data-registrant]");
      if (option) submit(option.dataset.registrant);
    });

    // The values are gathered; empty the input now so that the next badge
    // can be scanned while this answer is on its way.
    form.addEventListener("htmx:configRequest", function (event) {
      if (event.target !== form) return;
      input.value = "";
      picked.value = "";
      clearMatches();
    });

    form.addEventListener("htmx:afterRequest", function (event) {
      if (event.target === form) input.focus();
    });

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target === list) {
        const count = options().length;
        input.setAttribute("aria-expanded", count ? "true" : "false");
        highlight(-1);
        // A stale answer for text that is no longer there.
        if (!input.value.trim()) clearMatches();
      }
    });

    // Mode: remembered in the URL (a reload keeps it), shown by colour.
    form.addEventListener("change", function (event) {
      if (event.target.name !== "mode") return;
      desk.dataset.mode = event.target.value;
      const url = new URL(window.location.href);
      url.searchParams.set("mode", event.target.value);
      window.history.replaceState(null, "", url);
    });
    form.querySelectorAll('input[name="mode"]').forEach(function (radio) {
      radio.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === "Escape") {
          event.preventDefault();
          input.focus();
        }
      });
    });

    startBadgePrinting();
    startSounds();
    input.focus();
    startLive();
  });

  // A short tone per answer, the same for every way a code arrives (scanner,
  // typed name, camera): high for a check-in, two soft notes for a repeat,
  // low for a refusal or an unknown code. On by default, remembered per
  // browser. Browsers start audio only after a key press or a click, which
  // every scan path begins with.
  function startSounds() {
    const toggle = document.getElementById("desk-sound");
    if (!toggle || !window.AudioContext) return;
    const KEY = "desk-sound";
    let audio = null;
    try { toggle.checked = window.localStorage.getItem(KEY) !== "0"; } catch (e) { toggle.checked = true; }
    toggle.addEventListener("change", function () {
      try { window.localStorage.setItem(KEY, toggle.checked ? "1" : "0"); } catch (e) { /* ignore */ }
    });
    function wake() {
      if (!audio) audio = new window.AudioContext();
      if (audio.state === "suspended") audio.resume();
    }
    document.addEventListener("keydown", wake, true);
    document.addEventListener("click", wake, true);
    function tone(frequency, start, length) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.15;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(audio.currentTime + start);
      oscillator.stop(audio.currentTime + start + length);
    }
    const TONES = {
      success: [[880, 0, 0.12]],
      already: [[660, 0, 0.08], [660, 0.12, 0.08]],
      refused: [[220, 0, 0.3]],
      unknown: [[220, 0, 0.3]],
    };
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target.id !== "desk-output" || !toggle.checked || !audio) return;
      const result = event.target.querySelector("[data-outcome]");
      const notes = result && TONES[result.dataset.outcome];
      if (!notes) return;
      document.getElementById("desk").dataset.lastTone = result.dataset.outcome;
      notes.forEach(function (note) { tone(note[0], note[1], note[2]); });
    });
  }

  // "Print badge on check-in": remembered per browser; when a scan checks
  // someone in, their badge PDF loads in a hidden frame and its print
  // dialog opens. The focus comes back to the input after printing.
  function startBadgePrinting() {
    const toggle = document.getElementById("desk-print");
    const frame = document.getElementById("badge-frame");
    const input = document.getElementById("desk-input");
    if (!toggle || !frame) return;
    const KEY = "desk-print-badges";
    try { toggle.checked = window.localStorage.getItem(KEY) === "1"; } catch (e) { /* private mode */ }
    toggle.addEventListener("change", function () {
      try { window.localStorage.setItem(KEY, toggle.checked ? "1" : "0"); } catch (e) { /* ignore */ }
      input.focus();
    });
    frame.addEventListener("load", function () {
      if (!frame.dataset.printing) return;
      delete frame.dataset.printing;
      try { frame.contentWindow.print(); } catch (e) { /* the PDF stays loaded; print by hand */ }
      input.focus();
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target.id !== "desk-output" || !toggle.checked) return;
      const result = event.target.querySelector("[data-badge-url]");
      if (!result) return;
      frame.dataset.printing = "1";
      frame.src = result.dataset.badgeUrl;
    });
  }

  function statusBadge(status, label) {
    const span = document.createElement("span");
    span.className = "status status--" + (status || "new");
    span.textContent = label;
    return span;
  }

  function startLive() {
    const cfg = window.LiveStream && window.LiveStream.config();
    const recent = document.getElementById("recent-scans");
    if (!cfg || !recent) return;
    const labels = {};
    cfg.statuses.forEach(function (pair) { labels[pair[0]] = pair[1]; });

    function reread() {
      if (document.querySelector("#desk-form.htmx-request")) return; // its answer brings the list
      fetch(cfg.recent_url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          const current = document.getElementById("recent-scans");
          if (html === null || !current) return;
          const holder = document.createElement("div");
          holder.innerHTML = html.trim();
          const fresh = holder.querySelector("#recent-scans");
          if (fresh) current.replaceWith(fresh);
        })
        .catch(function () { /* the next periodic re-read tries again */ });
    }

    function onChange(message) {
      const registrant = message.registrant || {};
      document.querySelectorAll('#recent-scans [data-registrant-id="' + registrant.id + '"] [data-recent-status]')
        .forEach(function (slot) {
          // An erased registrant keeps its status, as the re-read list shows it.
          if (registrant.status) {
            slot.replaceChildren(statusBadge(registrant.status, labels[registrant.status] || registrant.status));
          }
        });
    }

    window.checkInDesk = {
      stream: window.LiveStream.start({
        url: cfg.url,
        onOpen: reread,
        onChange: onChange,
        refresh: reread,
        downSeconds: cfg.down_seconds,
        liveSeconds: cfg.live_seconds,
      }),
    };
  }
})();
