// The latest import's progress on a contact list page, polled until it finishes.
(function () {
  var box = document.getElementById("import-job");
  if (!box || box.dataset.finished === "1") return;
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.finished) { window.location.reload(); return; }
      box.querySelector(".import-status").textContent = s.status_display;
      var bar = box.querySelector(".import-progress");
      if (bar) { bar.value = s.percent; box.querySelector(".import-percent").textContent = s.percent + "%"; }
      setTimeout(poll, 1500);
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1500);
})();
