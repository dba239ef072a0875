/** The review page's own style, after diff2html's. */
export const PAGE_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem 9rem; color: #1f2328; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; } h3 { font-size: 1rem; margin: 0 0 .3rem; }
code { font: 12px ui-monospace, monospace; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; } dt { color: #59636e; } dd { margin: 0; overflow-wrap: anywhere; }
.status { font-size: .9rem; padding: .1rem .5rem; border-radius: 1rem; background: #ddf4ff; }
.gates { list-style: none; padding: 0; } .gate b { display: inline-block; width: 3rem; } .gate.pass b { color: #1a7f37; } .gate.FAIL b { color: #cf222e; } .gate.note b { color: #9a6700; }
.op { border: 1px solid #d1d9e0; border-radius: 8px; padding: .8rem 1rem; margin: 1rem 0; }
.op.current { outline: 3px solid #0969da; }
.op[data-state="skip"] { opacity: .55; } .op[data-state="skip"] .state::after { content: " · skipped"; color: #cf222e; }
.op.conflict { border-color: #cf222e; } .op.conflict .state::after { content: " · conflicts"; color: #cf222e; }
.kind { text-transform: uppercase; font-size: .8rem; letter-spacing: .05em; color: #8250df; }
.reason { margin: .2rem 0 .6rem; }
.quote { margin: .4rem 0; padding: .4rem .8rem; border-left: 4px solid #d1d9e0; background: #f6f8fa; }
.quote cite { display: block; font-style: normal; color: #59636e; margin-bottom: .2rem; }
.line { display: flex; gap: .6rem; } .line span { width: 5.5rem; flex: none; color: #59636e; }
.line pre { margin: 0; white-space: pre-wrap; font: 12px ui-monospace, monospace; }
.line.user pre { font: italic 14px system-ui, sans-serif; } .line.error pre { color: #cf222e; } .line.ran pre::before { content: "$ "; color: #59636e; }
.choice button, footer button { font: inherit; padding: .3rem .9rem; border-radius: 6px; border: 1px solid #d1d9e0; background: #f6f8fa; cursor: pointer; }
.op[data-state="accept"] .accept, .op[data-state="skip"] .skip { background: #0969da; color: #fff; }
footer { position: fixed; bottom: 0; left: 0; right: 0; padding: .7rem 1.5rem; background: #fff; border-top: 1px solid #d1d9e0; }
footer .primary { background: #1f883d; color: #fff; } footer button:disabled { opacity: .5; cursor: default; }
.keys { color: #59636e; margin-left: 1rem; } #outcome { display: block; white-space: pre-wrap; margin-top: .3rem; }
#outcome.error { color: #cf222e; } #outcome.ok { color: #1a7f37; } .note { color: #59636e; }
`;

/**
 * The page's behaviour: moving between cards (j/k), accept/skip (a/s, or the buttons), and on a
 * live page Adopt (Enter) and Discard, each a POST carrying the token. `REVIEW` is set before it.
 */
export const PAGE_SCRIPT = `
const cards = [...document.querySelectorAll(".op")];
let at = 0;
const $ = (id) => document.getElementById(id);
const skipped = () => cards.filter((c) => c.dataset.state === "skip").map((c) => Number(c.dataset.index));

function focusCard(i) {
  if (cards.length === 0) return;
  at = Math.max(0, Math.min(cards.length - 1, i));
  cards.forEach((c, j) => c.classList.toggle("current", j === at));
  cards[at].scrollIntoView({ block: "nearest" });
}

function refresh() {
  if (!REVIEW.live) return;
  const skip = skipped();
  $("adopt").textContent = "Adopt " + (cards.length - skip.length) + " of " + cards.length + " operation(s)";
  $("command").textContent = REVIEW.adoptCommand + skip.map((n) => " --skip " + n).join("");
}

function choose(card, state) {
  if (!REVIEW.live || document.body.dataset.done) return;
  card.dataset.state = state;
  refresh();
}

function show(text, ok) {
  const out = $("outcome");
  out.textContent = text;
  out.className = ok ? "ok" : "error";
}

async function post(path, body) {
  for (const b of document.querySelectorAll("footer button")) b.disabled = true;
  let answer;
  try {
    const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json", "x-reverie-token": REVIEW.token }, body: JSON.stringify(body) });
    answer = await response.json();
  } catch (error) {
    answer = { error: { message: "The review server did not answer (" + error.message + "); it may have stopped. Run reverie dream review again." } };
  }
  if (answer.error) {
    for (const b of document.querySelectorAll("footer button")) b.disabled = false;
    for (const n of (answer.error.data && answer.error.data.operations) || []) $("op-" + n)?.classList.add("conflict");
    show(answer.error.message, false);
  } else {
    document.body.dataset.done = path.slice(1);
    document.body.dataset.state = answer.record.adopted ? "adopted" : "discarded";
    show(answer.message + "\\nThe review server has stopped; you can close this page.", true);
  }
}

const adopt = () => post("/adopt", { skip: skipped() });
const discard = () => confirm("Discard " + REVIEW.id + "? Its branch is deleted; the memory is unchanged.") && post("/discard", {});

for (const card of cards) {
  card.addEventListener("click", () => focusCard(cards.indexOf(card)));
  card.querySelector(".accept")?.addEventListener("click", () => choose(card, "accept"));
  card.querySelector(".skip")?.addEventListener("click", () => choose(card, "skip"));
}
$("adopt")?.addEventListener("click", adopt);
$("discard")?.addEventListener("click", discard);

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, textarea")) return;
  // Enter on a focused button or summary does what that does, not adopt.
  if (event.key === "Enter" && event.target.closest("button, summary")) return;
  const card = cards[at];
  if (event.key === "j") focusCard(at + 1);
  else if (event.key === "k") focusCard(at - 1);
  else if (event.key === "a" && card) { choose(card, "accept"); focusCard(at + 1); }
  else if (event.key === "s" && card) { choose(card, "skip"); focusCard(at + 1); }
  else if (event.key === "Enter" && REVIEW.live && !document.body.dataset.done) adopt();
  else return;
  event.preventDefault();
});

focusCard(0);
refresh();
`;
