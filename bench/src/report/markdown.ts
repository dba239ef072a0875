import type { Machine } from "./machine.js";
import { Suites, type Budget, type Row } from "./row.js";

function budgetText(b: Budget | null): string {
  if (b === null) return "";
  return "max" in b ? `≤ ${b.max}` : `≥ ${b.min}`;
}

/** A figure as a person reads it: ratios to 3 places, counts whole, times to 3 significant digits. */
export function formatValue(row: Row): string {
  if (row.value === null) return "—";
  const v = row.value;
  if (row.unit === "count" || Number.isInteger(v)) return String(v);
  if (row.unit === "ratio") return v.toFixed(3);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(3);
}

function passText(row: Row): string {
  if (row.pass === null) return row.value === null ? "missing" : "";
  return row.pass ? "pass" : "**FAIL**";
}

function escape(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The Markdown report: machine, one table per suite, the quality metrics side by side, then notes. */
export function renderMarkdown(rows: readonly Row[], machine: Machine, options: { quick: boolean; seconds: number; notes: Record<string, string[]>; charts: string[] }): string {
  const out: string[] = [];
  out.push(`# reverie bench — ${options.quick ? "quick" : "full"} run`, "");
  out.push(`- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}`);
  out.push(`- node ${machine.node}; commit ${machine.commit}${machine.dirty ? " (with uncommitted changes in the checkout)" : ""}; ${machine.date}`);
  out.push(`- wall time ${options.seconds.toFixed(0)} s; \`pass\` compares with DESIGN §6; a missing figure is \`—\` with its reason, never 0 or 1`, "");

  const quality = rows.filter((r) => r.suite === "quality");
  if (quality.length > 0) {
    const subjects = [...new Set(quality.map((r) => r.subject ?? ""))];
    const metrics = [...new Set(quality.map((r) => r.metric))];
    out.push("## quality (adopted folder vs. ground truth)", "");
    out.push(`| metric | budget | ${subjects.join(" | ")} |`, `|---|---|${subjects.map(() => "---").join("|")}|`);
    for (const metric of metrics) {
      const cells = subjects.map((s) => {
        const row = quality.find((r) => r.metric === metric && (r.subject ?? "") === s);
        if (!row) return "";
        const mark = row.pass === false ? " ✗" : row.pass === true ? " ✓" : "";
        return `${formatValue(row)}${mark}`;
      });
      const budget = quality.find((r) => r.metric === metric && r.budget !== null)?.budget ?? null;
      out.push(`| ${metric} | ${budgetText(budget)} | ${cells.join(" | ")} |`);
    }
    out.push("", "Budgets apply to reverie's consolidators (✓ meets, ✗ misses); the baselines are there for distance.", "");
    const missingQuality = quality.filter((r) => r.value === null);
    const reasons = [...new Set(missingQuality.map((r) => `${r.subject}: ${r.reason}`))];
    if (reasons.length > 0) out.push("Missing:", ...reasons.map((r) => `- ${escape(r)}`), "");
  }

  for (const suite of Suites) {
    if (suite === "quality") continue;
    const list = rows.filter((r) => r.suite === suite);
    if (list.length === 0) continue;
    out.push(`## ${suite}`, "", "| metric | subject | value | unit | budget | pass | note |", "|---|---|---|---|---|---|---|");
    for (const r of list) out.push(`| ${r.metric} | ${escape(r.subject ?? "")} | ${formatValue(r)} | ${r.unit} | ${budgetText(r.budget)} | ${passText(r)} | ${escape(r.reason ?? "")} |`);
    out.push("");
  }
  if (options.charts.length > 0) {
    out.push("## growth", "", ...options.charts.map((c) => `![${c}](${c})`), "");
  }
  for (const [suite, notes] of Object.entries(options.notes)) {
    if (notes.length === 0) continue;
    out.push(`## notes: ${suite}`, "", ...notes.map((n) => `- ${escape(n)}`), "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
