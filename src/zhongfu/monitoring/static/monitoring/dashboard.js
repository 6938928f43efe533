// Draws the warning dashboard (by district, tier, status and month) from the page's JSON.
(function () {
  var TIER_COLOURS = { red: "#dc3545", orange: "#fd7e14", yellow: "#ffc107" };
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || el.dataset.drawn) return;
    el.dataset.drawn = "1";
    var c = echarts.init(el);
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }
  function draw() {
    var data = document.getElementById("dashboard-data");
    var labels = document.getElementById("dashboard-charts");
    if (!data || !labels || !window.echarts) return;
    var d = JSON.parse(data.textContent);
    var L = labels.dataset;
    chart("chart-districts", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 20, top: 40, bottom: 70 },
      xAxis: { type: "category", data: d.districts.names, axisLabel: { rotate: 30, interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: L.found, type: "bar", data: d.districts.found },
        { name: L.onTime, type: "bar", data: d.districts.on_time },
        { name: L.overdue, type: "bar", data: d.districts.overdue }
      ]
    });
    chart("chart-tiers", {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: d.tiers.map(function (t) {
        return { name: t.name, value: t.value, itemStyle: { color: TIER_COLOURS[t.key] } };
      }) }]
    });
    chart("chart-statuses", {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: d.statuses }]
    });
    var monthSeries = [
      { name: L.found, type: "line", data: d.months.found },
      { name: L.onTime, type: "line", data: d.months.on_time }
    ];
    Object.keys(d.outcome_labels).forEach(function (o) {
      monthSeries.push({ name: d.outcome_labels[o], type: "bar", stack: "outcome", data: d.months[o] });
    });
    chart("chart-months", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 20, top: 50, bottom: 40 },
      xAxis: { type: "category", data: d.months.names },
      yAxis: { type: "value", minInterval: 1 },
      series: monthSeries
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
