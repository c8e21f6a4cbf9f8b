/* The registrant list's company filter with type-ahead. Without scripts it
   is a plain <select> of the event's companies (the value is the company
   id, as the API's `company` filter). With scripts, a text box with a
   <datalist> of the same names stands in front of it: a typed or picked
   name that matches a company (case and outer spaces ignored) sets the
   hidden select and fires its change, which the filter form listens to. */
(function () {
  "use strict";

  function enhance() {
    const select = document.getElementById("company");
    if (!select || select.dataset.enhanced) return;
    select.dataset.enhanced = "true";
    const byName = new Map();
    const list = document.createElement("datalist");
    list.id = "company-options";
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      byName.set(option.text.trim().toLowerCase(), option.value);
      const item = document.createElement("option");
      item.value = option.text;
      list.appendChild(item);
    });
    const input = document.createElement("input");
    input.type = "text";
    input.id = "company-name";
    input.setAttribute("list", list.id);
    input.autocomplete = "off";
    input.placeholder = "All companies";
    input.maxLength = 200;
    const chosen = select.selectedIndex > 0 ? select.options[select.selectedIndex].text : "";
    input.value = chosen;
    const hint = document.createElement("p");
    hint.className = "help";
    hint.id = "company-hint";
    hint.setAttribute("role", "status");
    input.setAttribute("aria-describedby", hint.id);

    const label = document.querySelector('label[for="company"]');
    if (label) label.htmlFor = input.id;
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    select.parentNode.insertBefore(input, select);
    select.parentNode.insertBefore(list, select);
    select.parentNode.appendChild(hint);

    function apply() {
      const typed = input.value.trim().toLowerCase();
      const id = typed ? byName.get(typed) : "";
      if (id === undefined) {
        hint.textContent = "No company of this event is called that; pick one from the list.";
        return;
      }
      hint.textContent = "";
      if (select.value === id) return;
      select.value = id;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    input.addEventListener("change", apply);
    // Picking from the list fires "input" with the whole name at once.
    input.addEventListener("input", function () {
      if (byName.has(input.value.trim().toLowerCase()) || !input.value) apply();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        apply();
      }
    });
  }

  window.Dashboard.ready(enhance);
})();
