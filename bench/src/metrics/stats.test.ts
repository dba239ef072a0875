import { describe, expect, it } from "vitest";
import { median, percentile } from "./stats.js";

describe("median and percentile", () => {
  it("interpolate between ranks and refuse to invent a figure for no samples", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 90)).toBe(46);
    expect(median([])).toBeNaN();
  });
});
