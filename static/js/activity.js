// A signature's delivered messages a day at each carrier over the last 90 days (the signature's page,
// signatures/jinja2/signatures/detail.html), drawn with Apache ECharts served by the portal
// (static/vendor/echarts). The data come in a <script type="application/json"> block: no inline script,
// as the Content-Security-Policy requires. The table below the chart holds the same story in words.
(function () {
  "use strict";
  var COLOURS = { mobile: "#1565c0", unicom: "#c62828", telecom: "#2e7d32" };

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof window.echarts === "undefined") { return; }  // the table stays: nothing is lost
    document.querySelectorAll("[data-activity-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.source);
      if (!source) { return; }
      var d = JSON.parse(source.textContent);
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
        xAxis: { type: "category", data: d.days, boundaryGap: false },
        yAxis: { type: "value", name: d.unit, minInterval: 1 },
        series: d.series.map(function (s) {
          return { name: s.name, type: "line", data: s.data, showSymbol: false, smooth: false,
                   itemStyle: { color: COLOURS[s.code] }, lineStyle: { width: 1.5 } };
        })
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  });
})();
