/**
 * Charts as inline SVG strings, rendered in Node by Apache ECharts' server-side renderer (no DOM,
 * no script in the page). ECharts' own aria option labels nothing in an SSR string, so each SVG
 * gets role="img", an aria-label and a <title> here; the page puts a data table beside each.
 */
import * as echarts from "echarts";

const WIDTH = 760;
const HEIGHT = 320;
/** Okabe-Ito colours: told apart with the common colour-vision deficiencies, and in grey print by the patterns of the legend order. */
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

const escapeXml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** An ECharts option rendered to one accessible SVG string: `label` is its text alternative. */
export function renderChart(option, label) {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption({
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: "sans-serif", color: "#222" },
      grid: { left: 56, right: 24, top: 48, bottom: 56 },
      legend: { top: 8, type: "plain" },
      ...option,
    });
    const svg = chart.renderToSVGString();
    return svg.replace(/^<svg /, `<svg role="img" aria-label="${escapeXml(label)}" focusable="false" `).replace(/^(<svg[^>]*>)/, `$1<title>${escapeXml(label)}</title>`);
  } finally {
    chart.dispose();
  }
}

const dayAxis = (days) => ({ type: "category", data: days, axisLabel: { hideOverlap: true, color: "#222" } });

/** One line per consent key: the share of choices that granted it, per day (gaps where none was made). */
export function optInChart(days, keys, rateOf, label) {
  return renderChart(
    {
      xAxis: dayAxis(days),
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %", color: "#222" } },
      series: keys.map((key, i) => ({
        name: key,
        type: "line",
        symbol: ["circle", "rect", "triangle", "diamond", "pin", "arrow", "roundRect"][i % 7],
        symbolSize: 7,
        connectNulls: false,
        data: days.map((d) => {
          const r = rateOf(d, key);
          return r === null ? null : Math.round(r * 1000) / 10;
        }),
      })),
    },
    label,
  );
}

/** Stacked bars per day, one stack segment per value (choices by action, place, language, browser). */
export function stackedDayChart(days, values, countOf, label) {
  return renderChart(
    {
      xAxis: dayAxis(days),
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: "#222" } },
      series: values.map((value) => ({ name: value, type: "bar", stack: "all", barMaxWidth: 28, data: days.map((d) => countOf(d, value)) })),
    },
    label,
  );
}
