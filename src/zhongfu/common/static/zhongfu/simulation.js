// Draws the standard simulation's charts from the JSON the page embeds; re-runs after HTMX swaps.
(function () {
  function draw() {
    var data = document.getElementById("simulation-data");
    if (!data || !window.echarts) return;
    var charts = JSON.parse(data.textContent).charts;
    charts.forEach(function (c) {
      var el = document.getElementById("chart-" + c.code);
      // A chart in a closed <details> has no size yet; it is drawn when opened.
      if (!el || el.dataset.drawn || !el.offsetWidth) return;
      el.dataset.drawn = "1";
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0, data: [el.dataset.labelNewly, el.dataset.labelLost, el.dataset.labelCost] },
        grid: { left: 60, right: 70, top: 40, bottom: 70 },
        xAxis: { type: "category", data: c.districts, axisLabel: { rotate: 30 } },
        yAxis: [{ type: "value" }, { type: "value", position: "right" }],
        series: [
          { name: el.dataset.labelNewly, type: "bar", stack: "n", data: c.newly },
          { name: el.dataset.labelLost, type: "bar", stack: "n", data: c.lost },
          { name: el.dataset.labelCost, type: "line", yAxisIndex: 1, data: c.yearly_yuan }
        ]
      });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  document.addEventListener("toggle", draw, true);
})();
