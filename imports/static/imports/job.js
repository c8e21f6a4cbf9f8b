// The import job page: polls the job's progress until it is done or failed
// (imports/templates/imports/job.html). A file, not an inline script: the
// pages' Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || box.dataset.finished === "true") { return; }
  var url = box.dataset.progressUrl;
  function text(id, value) { document.getElementById(id).textContent = value; }
  function render(job) {
    document.getElementById("import-bar-fill").style.width = job.progress + "%";
    document.getElementById("import-bar").setAttribute("aria-valuenow", job.progress);
    text("import-state", job.state.charAt(0).toUpperCase() + job.state.slice(1));
    text("import-stage", job.state === "running" ? (job.stage === "importing" ? "Importing…" : "Checking rows…") : "");
    text("import-processed", job.processed);
    text("import-total", job.total === null ? "?" : job.total);
    text("import-created", job.created);
    text("import-failed", job.failed);
    text("import-message", job.message);
    if (job.error_count) {
      document.getElementById("import-report").hidden = false;
      document.getElementById("import-errors").hidden = false;
      text("import-error-count", "(" + job.error_count + ")");
      var body = document.getElementById("import-error-rows");
      body.replaceChildren();
      job.errors.forEach(function (e) {
        var tr = document.createElement("tr");
        [e.row === null ? "file" : e.row, e.column, e.message].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
    return job.state === "done" || job.state === "failed";
  }
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) { if (!job || !render(job)) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 1000);
})();
