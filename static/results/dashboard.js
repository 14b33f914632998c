/* Results dashboard: draws the charts from the JSON the page embeds, then refreshes it
   from the data URL while the campaign runs. Text comes translated from the server. */
(function () {
  "use strict";
  var listFilter = document.getElementById("list-filter");
  if (listFilter) {  // picking a list reloads the page for it (no inline handler: see ivrsite/csp.py)
    listFilter.addEventListener("change", function () { listFilter.form.submit(); });
  }
  var byFilter = document.getElementById("by-filter");
  if (byFilter) {
    byFilter.addEventListener("change", function () { byFilter.form.submit(); });
  }
  var root = document.getElementById("results-dashboard");
  if (!root || typeof Chart === "undefined") { return; }
  var data = JSON.parse(document.getElementById("results-data").textContent);
  var noData = JSON.parse(document.getElementById("results-no-data").textContent);
  var palette = ["#417690", "#e8a33d", "#79aec8", "#c0504d", "#8064a2", "#4bacc6", "#9bbb59", "#f79646", "#7f7f7f"];
  var style = getComputedStyle(document.documentElement);
  var fg = style.getPropertyValue("--body-fg").trim() || "#333";
  Chart.defaults.color = fg;
  // CJK fonts first so Chinese answer labels render on every platform.
  Chart.defaults.font.family = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Hiragino Sans GB", ' +
    '"Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, -apple-system, "Segoe UI", sans-serif';
  var charts = {};

  function config(key, chart) {
    var doughnut = chart.type === "doughnut";
    var datasets = chart.datasets.map(function (set, i) {
      return {
        label: set.label,
        data: set.data.slice(),
        backgroundColor: doughnut ? palette : palette[i % palette.length],
        borderWidth: doughnut ? 1 : 0
      };
    });
    var options = { responsive: true, maintainAspectRatio: false, animation: { duration: 300 } };
    if (!doughnut) {
      options.scales = {
        x: { stacked: !!chart.stacked, ticks: { autoSkip: true, maxRotation: 0 } },
        y: { stacked: !!chart.stacked, beginAtZero: true, ticks: { precision: 0 } }
      };
      options.plugins = { legend: { display: chart.datasets.length > 1 } };
    }
    if (key === "funnel" || key === "answers" || key === "score_distribution") { options.indexAxis = "y"; }
    return { type: chart.type, data: { labels: chart.labels.slice(), datasets: datasets }, options: options };
  }

  function number(value) {
    return typeof value === "number" ? value.toLocaleString(document.documentElement.lang || undefined) : String(value);
  }

  function renderTable(section, table) {
    var tbody = section.querySelector("tbody");
    tbody.textContent = "";
    if (!table.rows.length) {
      var empty = tbody.insertRow();
      var cell = empty.insertCell();
      cell.colSpan = table.columns.length;
      cell.textContent = noData;
      return;
    }
    table.rows.forEach(function (row) {
      var tr = tbody.insertRow();
      row.forEach(function (value) { tr.insertCell().textContent = value === null ? "—" : number(value); });
    });
  }

  function draw(section, key, chart) {
    section.querySelector(".chart-box").hidden = chart.empty;
    section.querySelector(".chart-empty").hidden = !chart.empty;
    var existing = charts[key];
    if (existing && existing.config.type === chart.type && existing.data.datasets.length === chart.datasets.length) {
      existing.data.labels = chart.labels.slice();
      chart.datasets.forEach(function (set, i) {
        existing.data.datasets[i].data = set.data.slice();
        existing.data.datasets[i].label = set.label;
      });
      existing.update();
    } else {
      if (existing) { existing.destroy(); }
      charts[key] = new Chart(section.querySelector("canvas"), config(key, chart));
    }
    renderTable(section, chart.table);
  }

  function render(payload) {
    Object.keys(payload.headline).forEach(function (field) {
      var el = root.querySelector('[data-field="' + field + '"]');
      if (!el) { return; }
      var value = payload.headline[field];
      el.textContent = value === null ? "—" : number(value) + (el.dataset.suffix || "");
    });
    var asOf = root.querySelector('[data-field="as_of_local"]');
    if (asOf) { asOf.textContent = payload.as_of_local; }
    (payload.segments || []).forEach(function (row) {
      var cell = root.querySelector('[data-segment="' + CSS.escape(row.code) + '"]');
      if (!cell) { return; }
      var target = cell.querySelector("a") || cell;
      target.textContent = number(row.count);
    });
    root.querySelectorAll("[data-chart]").forEach(function (section) {
      var key = section.dataset.chart;
      if (payload.charts[key]) { draw(section, key, payload.charts[key]); }
    });
  }

  function refresh() {
    if (document.hidden) { return schedule(); }
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (payload) {
        if (payload) { data = payload; render(payload); }
      })
      .catch(function () { /* keep the last figures; try again later */ })
      .then(schedule);
  }

  function schedule() {
    if (data.running) { window.setTimeout(refresh, 1000 * Number(root.dataset.refreshSeconds || 10)); }
  }

  render(data);
  schedule();
})();
