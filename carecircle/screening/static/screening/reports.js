// Screening reports: a stacked bar of triage levels across rounds, per instrument.
// The data sit in <script type="application/json"> blocks (json_script); the CSP
// forbids inline scripts. A share the page withholds is null here: a gap, not a zero.
(function () {
  "use strict";

  var COLOURS = { red_critical: "#7f1d1d", red: "#dc3545", yellow: "#ffc107", green: "#198754" };

  function draw(element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(element);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      legend: { type: "scroll", top: 0 },
      grid: { left: 10, right: 10, top: 40, bottom: 10, containLabel: true },
      xAxis: {
        type: "category",
        data: data.rounds,
        axisLabel: { interval: 0, width: 90, overflow: "break" }
      },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: data.series.map(function (s) {
        return {
          name: s.name,
          type: "bar",
          stack: "levels",
          data: s.data,
          itemStyle: COLOURS[s.key] ? { color: COLOURS[s.key] } : undefined
        };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
