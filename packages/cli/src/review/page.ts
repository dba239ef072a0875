import { BLOCKING_GATES, gateState, type DreamRecord, type QuotedTurn, type RecordedOperation } from "@reverie/dream";
import { dirFlag } from "../context.js";
import type { ReviewData } from "./review-data.js";
import { PAGE_CSS, PAGE_SCRIPT } from "./page-assets.js";

/** How the page is used: served with a token (accept, skip, adopt, discard), or a static read-only file. */
export type PageMode = { live: true; token: string; nonce: string } | { live: false; nonce: string };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
const e = escapeHtml;

/** Why a dream cannot be adopted from the page, or null when it can. */
export function notAdoptable(record: DreamRecord): string | null {
  if (record.adopted) return `Adopted in commit ${record.adopted.commit.slice(0, 7)} at ${record.adopted.at}${record.adopted.skipped.length ? ` (skipped ${record.adopted.skipped.join(", ")})` : ""}.`;
  if (record.archived_at) return `Discarded at ${record.archived_at}.`;
  if (record.status !== "completed") return `This dream is ${record.status}; only a completed dream can be adopted.`;
  if (!record.outputs.branch) return "This dream changed nothing: there is nothing to adopt.";
  return null;
}

function summary(record: DreamRecord): string {
  const u = record.usage;
  const usage = u.input_tokens + u.output_tokens > 0 ? `${u.input_tokens} in / ${u.output_tokens} out tokens, $${u.cost_usd.toFixed(4)}` : "no model tokens ($0)";
  const rows: Array<[string, string]> = [
    ["provider", `${record.provider}${record.model ? ` (${record.model})` : ""}`],
    ["sessions", `${record.inputs.sessions.length}: ${record.inputs.sessions.map((s) => s.id).join(", ")}`],
    ["base", record.inputs.base_commit?.slice(0, 7) ?? "-"],
    ["branch", record.outputs.branch ?? "-"],
    ["created", record.created_at],
    ["usage", usage],
  ];
  if (record.redacted?.count) rows.push(["redacted", `${record.redacted.count} secret(s) from the inputs`]);
  if (record.error) rows.push(["error", `${record.error.type}: ${record.error.message}`]);
  for (const w of record.warnings) rows.push(["warning", w]);
  const gates = record.gates.map((g) => {
    const state = gateState(g);
    const mark = state === "fail" ? "FAIL" : state;
    return `<li class="gate ${mark}"><b>${mark}</b> <code>${e(g.name)}</code> ${e(g.detail)}</li>`;
  });
  return `<dl>${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join("")}</dl>
<h2>Gates</h2><ul class="gates">${gates.join("") || "<li>none ran</li>"}</ul>`;
}

function quote(q: QuotedTurn): string {
  const where = `${q.at ?? "undated"} · ${q.source ?? q.stored}`;
  const lines = q.missing ? `<p class="note">Not quoted: ${e(q.missing)}</p>` : q.lines.map((l) => `<div class="line ${l.label}"><span>${e(l.label)}</span><pre>${e(l.text)}</pre></div>`).join("");
  return `<blockquote class="quote" data-ref="${e(`${q.session}#${q.turn}`)}"><cite><code>${e(`${q.session}#${q.turn}`)}</code> <small>${e(where)}</small></cite>${lines}</blockquote>`;
}

function card(op: RecordedOperation, quotes: QuotedTurn[], diff: string, mode: PageMode, skipped: boolean): string {
  const choice = mode.live
    ? `<div class="choice"><button type="button" class="accept" title="a">Accept</button><button type="button" class="skip" title="s">Skip</button></div>`
    : "";
  const evidence = quotes.length > 0 ? quotes.map(quote).join("") : `<p class="note">No evidence cited (${op.kind} needs none).</p>`;
  return `<section class="op" id="op-${op.index}" data-index="${op.index}" data-kind="${e(op.kind)}" data-state="${skipped ? "skip" : "accept"}">
<h3><span class="n">${op.index}.</span> <span class="kind">${e(op.kind)}</span> <code>${e(op.paths.join(", "))}</code><span class="state"></span></h3>
<p class="reason">${e(op.reason)}</p>
<details open><summary>Diff</summary><div class="diff">${diff}</div></details>
<h4>Evidence</h4>${evidence}
${choice}</section>`;
}

/** The review page of one dream: summary, gates, then a card per operation; with `mode.live`, the controls to adopt or discard. */
export function renderPage(data: ReviewData, mode: PageMode): string {
  const { record } = data;
  const blocked = notAdoptable(record);
  const live = mode.live && blocked === null;
  const skipped = new Set(record.adopted?.skipped ?? []);
  const cards = record.operations.map((op, i) => card(op, data.quotes[i] ?? [], data.diffs[i] ?? "", live ? mode : { live: false, nonce: mode.nonce }, skipped.has(op.index)));
  const state = record.adopted ? "adopted" : record.archived_at ? "discarded" : record.status;
  const controls = live
    ? `<footer><button type="button" id="adopt" class="primary">Adopt</button> <button type="button" id="discard">Discard dream</button>
<span class="keys">j/k move · a accept · s skip · Enter adopt</span><div>Same as: <code id="command"></code></div><output id="outcome" role="status"></output></footer>`
    : `<footer><p class="note">${e(blocked ?? `Read-only copy. Adopt with: reverie dream adopt ${record.id}${dirFlag(data.dirArg)} [--skip N], or review it live with: reverie dream review ${record.id}${dirFlag(data.dirArg)}`)}</p></footer>`;
  const csp = mode.live
    ? ""
    : `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'nonce-${mode.nonce}'">`;
  const config = JSON.stringify({ id: record.id, live, token: mode.live ? mode.token : null, adoptCommand: `reverie dream adopt ${record.id}${dirFlag(data.dirArg)}` }).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${csp}<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>Review ${e(record.id)}</title>
<style>${data.diffCss}</style><style>${PAGE_CSS}</style></head>
<body data-state="${e(state)}">
<header><h1>Dream <code>${e(record.id)}</code> <span class="status">${e(state)}</span></h1>${summary(record)}</header>
<main>
<h2>${record.operations.length} operation(s)</h2>
${cards.join("\n") || '<p class="note">This dream proposes no operations.</p>'}
</main>
${controls}
<script nonce="${mode.nonce}">const REVIEW = ${config};
${PAGE_SCRIPT}</script>
</body></html>
`;
}
