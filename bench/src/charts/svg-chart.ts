import type { Series } from "../suites/suite.js";

const W = 640;
const H = 360;
const M = { left: 70, right: 20, top: 40, bottom: 60 };
const COLORS = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280"];

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A short label for a tick value: 1200 → 1.2k, 0.25 → 0.25. */
export function tickLabel(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(3));
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * A line chart of the series (one chart, same axes) as a standalone SVG. The x axis is
 * logarithmic when it spans 50× or more, as growth series do (10 → 1,000 sessions).
 */
export function renderSvgChart(series: readonly Series[]): string {
  const points = series.flatMap((s) => s.points);
  const first = series[0];
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="#fff"/>`];
  if (!first || points.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text>`, "</svg>");
    return `${out.join("\n")}\n`;
  }
  const xs = points.map((p) => p.x);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const log = xMin > 0 && xMax / xMin >= 50;
  const yMax = niceMax(Math.max(...points.map((p) => p.y)));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const fx = (x: number): number => {
    if (xMax === xMin) return M.left + plotW / 2;
    const t = log ? (Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin)) : (x - xMin) / (xMax - xMin);
    return M.left + t * plotW;
  };
  const fy = (y: number): number => M.top + plotH - (y / yMax) * plotH;
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(first.yLabel)} vs ${esc(first.xLabel)}</text>`);
  out.push(`<line x1="${M.left}" y1="${M.top + plotH}" x2="${M.left + plotW}" y2="${M.top + plotH}" stroke="#333"/>`, `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotH}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = fy(v).toFixed(1);
    out.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + plotW}" y2="${y}" stroke="#eee"/>`, `<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(v)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${fx(x).toFixed(1)}" y="${M.top + plotH + 18}" text-anchor="middle">${tickLabel(x)}</text>`);
  }
  out.push(`<text x="${M.left + plotW / 2}" y="${H - 28}" text-anchor="middle">${esc(first.xLabel)}${log ? " (log scale)" : ""}</text>`);
  out.push(`<text x="16" y="${M.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + plotH / 2})">${esc(first.yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    if (sorted.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${sorted.map((p) => `${fx(p.x).toFixed(1)},${fy(p.y).toFixed(1)}`).join(" ")}"/>`);
    for (const p of sorted) out.push(`<circle cx="${fx(p.x).toFixed(1)}" cy="${fy(p.y).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)}: ${tickLabel(p.y)} at ${tickLabel(p.x)}</title></circle>`);
    out.push(`<rect x="${M.left + 10}" y="${M.top + 6 + i * 16}" width="10" height="10" fill="${color}"/>`, `<text x="${M.left + 26}" y="${M.top + 15 + i * 16}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
