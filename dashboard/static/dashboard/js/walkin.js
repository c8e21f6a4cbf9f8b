/* The desk's walk-in form, keyboard first.

   Alt+N in the desk's input (or the "Add walk-in" button) opens the form,
   with the typed text as the name when it is not a scanned code; Escape
   closes it. A walk-in that went through ("walkin-added" from the server)
   closes and empties the form; the answer is shown where scans show theirs,
   so the badge prints as for a scan. The focus goes back to the desk's
   input every time the form closes. A refusal (a full or closed event, a
   bad email) comes back as the form with its errors, still open. */
(function () {
  "use strict";

  window.Dashboard.ready(function () {
    const input = document.getElementById("desk-input");
    const opener = document.getElementById("walkin-open");
    if (!input || !opener) return;

    function form() { return document.getElementById("walkin-form"); }

    function open() {
      const f = form();
      if (!f) return;
      const typed = input.value.trim();
      const name = f.querySelector('[name="name"]');
      // A name typed in the desk's input (spaces, or no match) seeds the form;
      // a scanned code never does.
      if (typed && /\s/.test(typed) && name && !name.value) name.value = typed;
      f.hidden = false;
      opener.setAttribute("aria-expanded", "true");
      const first = name && name.value ? f.querySelector('[name="email"]') : name;
      (first || name).focus();
    }

    function close(reset) {
      const f = form();
      if (!f) return;
      if (reset) {
        f.reset();
        f.querySelectorAll(".field__error, .notice--error").forEach(function (el) { el.remove(); });
        f.querySelectorAll(".field--error").forEach(function (el) { el.classList.remove("field--error"); });
      }
      f.hidden = true;
      opener.setAttribute("aria-expanded", "false");
      input.focus();
    }

    opener.setAttribute("aria-expanded", form() && !form().hidden ? "true" : "false");
    opener.addEventListener("click", open);

    input.addEventListener("keydown", function (event) {
      if (event.altKey && (event.key === "n" || event.key === "N" || event.code === "KeyN")) {
        event.preventDefault();
        open();
      }
    });

    // Delegated: a refused walk-in replaces the form element.
    document.addEventListener("keydown", function (event) {
      const f = form();
      if (event.key === "Escape" && f && !f.hidden && f.contains(event.target)) {
        event.preventDefault();
        close(false);
      }
    });
    document.addEventListener("click", function (event) {
      if (event.target.closest("[data-walkin-close]")) close(false);
    });
    document.body.addEventListener("walkin-added", function () {
      close(true);
      // desk.js's own Escape empties the input and its list of matches.
      input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    });
    document.body.addEventListener("htmx:afterSettle", function (event) {
      const swapped = event.detail && event.detail.target;
      const f = form();
      if (!f || !swapped || swapped.id !== "walkin-form") return;
      // The refused form came back in place of the old one (the focus went
      // with it): focus its first problem, or its first field.
      const bad = f.querySelector(".field--error input, .field--error select") ||
        f.querySelector('[name="name"]');
      if (bad) bad.focus();
    });
  });
})();
