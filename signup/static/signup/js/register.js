/* The public registration form: company suggestions as you type (the names
   a registration would match after normalisation), and one submit only (a
   double-click sends the form once; the server returns the first result to
   a second copy anyway). Without scripts the form works the same. */
(function () {
  "use strict";
  const form = document.querySelector("form[data-suggestions]");
  if (!form) return;
  const input = form.querySelector('input[name="company"]');
  const list = document.getElementById("company-suggestions");
  let timer = null;
  let asked = "";
  if (input && list) {
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        const q = input.value.trim();
        if (q.length < 2 || q === asked) return;
        asked = q;
        fetch(form.dataset.suggestions + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : {companies: []}; })
          .then(function (data) {
            list.replaceChildren(...data.companies.map(function (name) {
              const option = document.createElement("option");
              option.value = name;
              return option;
            }));
          })
          .catch(function () { /* suggestions are a convenience */ });
      }, 200);
    });
  }
  form.addEventListener("submit", function (e) {
    if (form.dataset.sent) { e.preventDefault(); return; }
    form.dataset.sent = "1";
    const button = document.getElementById("register-submit");
    if (button) button.setAttribute("aria-disabled", "true");
  });
})();
