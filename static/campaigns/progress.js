// Keeps campaign figures (elements with data-campaign / data-figure) current while campaigns run.
(function () {
  "use strict";
  function refresh() {
    var holder = document.querySelector("[data-progress-url]");
    if (!holder) return;
    var cells = document.querySelectorAll("[data-campaign][data-figure]");
    var ids = {};
    cells.forEach(function (cell) { ids[cell.dataset.campaign] = true; });
    var list = Object.keys(ids);
    if (!list.length) return;
    fetch(holder.dataset.progressUrl + "?ids=" + list.join(","), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (data) {
        // A state change (enrolment done, paused elsewhere...) changes the buttons: show them.
        // Not while the form holds unsaved edits.
        var shown = holder.dataset.campaignState ? holder.dataset.campaignState.split(":") : null;
        if (shown && !edited && data[shown[0]] && data[shown[0]].state !== shown[1]) {
          window.location.reload();
          return;
        }
        cells.forEach(function (cell) {
          var figures = data[cell.dataset.campaign];
          if (figures && figures[cell.dataset.figure] !== undefined) {
            cell.textContent = figures[cell.dataset.figure];
          }
        });
      })
      .catch(function () { /* try again on the next tick */ });
  }
  // Only the person's own edits count: admin widgets fire synthetic change events as they set up.
  var edited = false;
  function markEdited(event) { if (event.isTrusted) { edited = true; } }
  document.addEventListener("input", markEdited);
  document.addEventListener("change", markEdited);
  document.addEventListener("DOMContentLoaded", function () { setInterval(refresh, 3000); });
})();
