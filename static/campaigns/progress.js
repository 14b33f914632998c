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
        cells.forEach(function (cell) {
          var figures = data[cell.dataset.campaign];
          if (figures && figures[cell.dataset.figure] !== undefined) {
            cell.textContent = figures[cell.dataset.figure];
          }
        });
      })
      .catch(function () { /* try again on the next tick */ });
  }
  document.addEventListener("DOMContentLoaded", function () { setInterval(refresh, 3000); });
})();
