// Draws the visit-rate chart (rate by street, overdue households on a second axis) from the page's JSON.
(function () {
  function draw() {
    var data = document.getElementById("visit-rate-data");
    var el = document.getElementById("visit-rate-chart");
    if (!data || !el || !window.echarts || el.dataset.drawn) return;
    el.dataset.drawn = "1";
    var c = JSON.parse(data.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [el.dataset.labelRate, el.dataset.labelOverdue] },
      grid: { left: 50, right: 50, top: 40, bottom: 80 },
      xAxis: { type: "category", data: c.names, axisLabel: { rotate: 30, interval: 0 } },
      yAxis: [{ type: "value", min: 0, max: 100 }, { type: "value", position: "right", minInterval: 1 }],
      series: [
        { name: el.dataset.labelRate, type: "bar", data: c.rates },
        { name: el.dataset.labelOverdue, type: "line", yAxisIndex: 1, data: c.overdue }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
