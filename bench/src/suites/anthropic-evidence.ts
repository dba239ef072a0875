import type { Note } from "@reverie/core";
import { anthropicConsolidator, naiveDreamPrompt, type Session } from "@reverie/dream";
import { firstUserText, reply, startFakeAnthropic } from "@reverie/test-utils";
import type { GoldList } from "../metrics/learn-metrics.js";

/** How far one gold item's evidence got. */
export interface ItemEvidence {
  id: string;
  /** Its supporting turns (`file#turn`) that reached no request. */
  missed: string[];
  total: number;
}

export interface EvidenceResult {
  /** Share of gold items every one of whose supporting turns reached a request. */
  recall: number;
  /** Share of (item, supporting turn) pairs that reached a request. */
  pairRecall: number;
  /** Prompt characters of every request sent ÷ the naive single prompt's (every event in full). */
  promptRatio: number;
  requests: number;
  items: ItemEvidence[];
}

/**
 * The turns of each session that a request shows: a line `#n …` inside `<session id="…">`
 * shows turn n; a call's line ending `→ ok…` shows its result's turn too (the compressor puts a
 * successful result on its call's line).
 */
export function turnsShown(tasks: readonly string[], sessions: readonly Session[]): Map<string, Set<number>> {
  const resultOfCall = new Map<string, Map<number, number>>();
  for (const s of sessions) {
    const callTurn = new Map<string, number>();
    const results = new Map<number, number>();
    for (const e of s.events) {
      if (e.type === "tool_use") callTurn.set(e.id, e.turn);
      else if (e.type === "tool_result" && callTurn.has(e.tool_use_id)) results.set(callTurn.get(e.tool_use_id)!, e.turn);
    }
    resultOfCall.set(s.header.id, results);
  }
  const shown = new Map<string, Set<number>>();
  for (const task of tasks) {
    for (const block of task.matchAll(/<session id="([^"]+)">\n([\s\S]*?)\n<\/session>/g)) {
      const id = block[1]!;
      const turns = shown.get(id) ?? new Set<number>();
      shown.set(id, turns);
      for (const line of block[2]!.split("\n")) {
        const m = /^#(\d+) /.exec(line);
        if (!m) continue;
        const turn = Number(m[1]);
        turns.add(turn);
        const result = resultOfCall.get(id)?.get(turn);
        if (result !== undefined && / → ok/.test(line)) turns.add(result);
      }
    }
  }
  return shown;
}

/**
 * Sends a series through the anthropic consolidator against the fake Anthropic server on
 * loopback (the real SDK over HTTP, no key, no network; every answer is "no operations") and
 * measures what its local pre-pass keeps: for every gold item, whether its supporting turns
 * reach a request, and the prompt characters against the naive single prompt.
 * `fileOf` maps a session id to the transcript file name the gold list cites.
 */
export async function anthropicEvidence(sessions: readonly Session[], memories: readonly Note[], fileOf: ReadonlyMap<string, string>, gold: GoldList): Promise<EvidenceResult> {
  const input = { memories: [...memories], sessions: [...sessions], now: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") };
  const fake = await startFakeAnthropic({ responder: () => reply.toolUse("propose_operations", { operations: [] }) });
  let sent;
  try {
    await anthropicConsolidator({ model: "claude-sonnet-4-6", baseURL: fake.url, apiKey: "bench-fake-key", local: false }).consolidate(input);
    sent = fake.messageRequests();
  } finally {
    await fake.close();
  }
  const shown = turnsShown(sent.map((e) => firstUserText(e.body)), sessions);
  const idOf = new Map([...fileOf].map(([id, file]) => [file, id]));
  const items = gold.items.map((item): ItemEvidence => {
    const missed = item.support.filter((ref) => {
      const cut = ref.lastIndexOf("#");
      const id = idOf.get(ref.slice(0, cut));
      return id === undefined || !shown.get(id)?.has(Number(ref.slice(cut + 1)));
    });
    return { id: item.id, missed, total: item.support.length };
  });
  const pairs = items.reduce((n, i) => n + i.total, 0);
  const chars = sent.reduce((n, e) => n + e.promptChars, 0);
  return {
    recall: items.filter((i) => i.missed.length === 0).length / items.length,
    pairRecall: (pairs - items.reduce((n, i) => n + i.missed.length, 0)) / pairs,
    promptRatio: chars / naiveDreamPrompt(input).chars,
    requests: sent.length,
    items,
  };
}
