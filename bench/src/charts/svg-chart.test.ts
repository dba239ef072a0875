import { describe, expect, it } from "vitest";
import { renderSvgChart, tickLabel } from "./svg-chart.js";

describe("renderSvgChart", () => {
  it("draws one polyline per series with a legend, and says when there is no data", () => {
    const svg = renderSvgChart([
      { chart: "c", name: "dream <s>", xLabel: "sessions", yLabel: "seconds", points: [{ x: 10, y: 0.2 }, { x: 1000, y: 4 }] },
      { chart: "c", name: "other", xLabel: "sessions", yLabel: "seconds", points: [{ x: 10, y: 1 }, { x: 100, y: 2 }] },
    ]);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain("dream &lt;s&gt;");
    expect(svg).toContain("(log scale)");
    expect(renderSvgChart([])).toContain("no data");
  });

  it("labels ticks compactly", () => {
    expect([tickLabel(1200), tickLabel(20000), tickLabel(0.25), tickLabel(3e6)]).toEqual(["1.2k", "20k", "0.25", "3M"]);
  });
});
