/* The wallboard redraws its two tables from its JSON endpoint every few seconds. */
(function () {
  "use strict";
  var root = document.getElementById("wallboard");
  if (!root) { return; }

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    return td;
  }

  function campaigns(rows) {
    var body = root.querySelector("#wallboard-campaigns tbody");
    body.textContent = "";
    if (!rows.length) {
      var tr = document.createElement("tr");
      var td = cell(root.dataset.none);
      td.colSpan = 11;
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.className = "state-" + row.state;
      var name = document.createElement("td");
      var link = document.createElement("a");
      link.href = "../campaigns/" + row.id + "/dashboard/";
      link.textContent = row.name;
      name.appendChild(link);
      tr.appendChild(name);
      [row.state_display, row.rate === null ? root.dataset.unknownRate : row.rate, row.bound, row.binds,
       row.dialled, row.answered, row.opt_outs, row.unknown, row.pending, row.paused_because]
        .forEach(function (value) { tr.appendChild(cell(value)); });
      body.appendChild(tr);
    });
  }

  function numbers(rows) {
    var table = root.querySelector("#wallboard-numbers");
    var body = table.querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.className = row.at_cap ? "at-cap" : row.near_cap ? "near-cap" : "";
      var note = row.at_cap ? table.dataset.atCap : row.near_cap ? table.dataset.nearCap : "";
      if (!row.active) { note = (note + " " + row.why).trim(); }
      if (row.health) { note = (note + " " + row.health).trim(); }
      var cap = row.lowered ? row.concurrency + " / " + row.configured : row.concurrency;
      [row.name, row.in_flight, cap, note].forEach(function (value) { tr.appendChild(cell(value)); });
      body.appendChild(tr);
    });
  }

  function refresh() {
    if (document.hidden) { return schedule(); }
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        campaigns(data.campaigns);
        numbers(data.caller_numbers);
        root.querySelector(".wallboard-as-of").textContent = data.as_of;
      })
      .catch(function () { /* keep the last figures; try again later */ })
      .then(schedule);
  }

  function schedule() {
    window.setTimeout(refresh, 1000 * Number(root.dataset.refreshSeconds || 5));
  }

  schedule();
})();
