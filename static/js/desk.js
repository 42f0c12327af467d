// The desk's charts (desk/templates/admin/desk/desk.html), drawn with Apache ECharts served by the portal
// (static/vendor/echarts). The data come in <script type="application/json"> blocks (json_script): no
// inline script, as the Content-Security-Policy requires. Each chart has a table beside it for those who
// cannot see it; the chart itself is hidden from screen readers.
(function () {
  "use strict";

  function data(el) { return JSON.parse(document.getElementById(el.dataset.source).textContent); }

  var COLOURS = { pending: "#9e9e9e", submitted: "#1565c0", filed: "#2e7d32", failed: "#c62828",
                  cleared: "#e65100", affected: "#f9a825" };

  var builders = {
    applications: function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
        xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: d.states, inverse: true },
        series: [
          { name: d.names.signatures, type: "bar", stack: "a", data: d.signatures },
          { name: d.names.templates, type: "bar", stack: "a", data: d.templates }
        ]
      };
    },
    filings: function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 8, right: 16, bottom: 8, top: 48, containLabel: true },
        xAxis: { type: "category", data: d.carriers }, yAxis: { type: "value", minInterval: 1 },
        series: d.filing_states.map(function (s) {
          return { name: s.name, type: "bar", stack: "f", data: s.data, itemStyle: { color: COLOURS[s.code] } };
        })
      };
    },
    lead: function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
        xAxis: { type: "category", data: d.carriers },
        yAxis: { type: "value", name: d.names.unit, minInterval: 1 },
        series: [
          { name: d.names.median, type: "bar", data: d.median },
          { name: d.names.p90, type: "bar", data: d.p90 }
        ]
      };
    },
    review: function (d) {
      return {
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
        xAxis: { type: "category", data: d.kinds }, yAxis: { type: "value", name: d.names.unit, minInterval: 1 },
        series: d.buckets.map(function (name, i) {
          return { name: name, type: "bar", stack: "r", data: d.series[i] };
        })
      };
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof window.echarts === "undefined") { return; }  // the tables stay: nothing is lost
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = builders[el.dataset.chart];
      if (!build) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build(data(el)));
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
