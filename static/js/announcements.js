// An announcement's admin page (announcements/templates/admin/announcements/announcement/change_form.html):
// while a run is checking or writing its notices, its progress bar and figures are read again every two
// seconds from the page's JSON address; once a run the page showed unfinished is done, the page is loaded
// again to show what it found. No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector("[data-progress-url]");
    if (!panel) { return; }
    var open = panel.querySelectorAll("[data-run]:not([data-state='done'])");
    if (!open.length) { return; }
    function refresh() {
      fetch(panel.dataset.progressUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (!answer) { return; }
          var reload = false;
          answer.runs.forEach(function (run) {
            var box = panel.querySelector("[data-run='" + run.run + "']");
            if (!box) { return; }
            box.querySelectorAll("[data-field]").forEach(function (field) {
              var value = run[field.dataset.field];
              if (value === undefined) { return; }
              if (field.tagName === "PROGRESS") { field.value = value; } else { field.textContent = value; }
            });
            if (run.finished && box.dataset.state !== "done") { reload = true; }
          });
          if (reload) { window.location.reload(); } else { window.setTimeout(refresh, 2000); }
        })
        .catch(function () { window.setTimeout(refresh, 5000); });
    }
    window.setTimeout(refresh, 1000);
  });
})();
