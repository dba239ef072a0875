import { renderNote, type MemoryFrontmatter } from "@reverie/core";
import { command, configPath, port, region, RESERVED_PORTS, timeout, UntouchedKinds, version, type FactKind, type Phrasing } from "./fact-kinds.js";
import { Filler } from "./filler.js";
import { INJECTION_HOSTS, InjectionKinds, PatternKinds } from "./pattern-kinds.js";
import { mulberry32, type Rng } from "./prng.js";
import type { ClusterTruth, FactTruth, GroundTruth, InjectionTruth, PatternTruth, Scenario, ScenarioMemory, ScenarioSize, UpdateTruth, UpdateVia, VerificationTruth } from "./scenario.js";
import { SessionBuilder } from "./session-builder.js";

/** The scenario sizes of `pnpm bench --quick` and `pnpm bench`. */
export const ScenarioSizes = {
  quick: { untouchedFacts: 120, duplicateClusters: 16, lookAlikePairs: 8, updates: 16, patterns: 5, decoys: 3, verifications: 12, injections: 3, sessions: 24, fillerEvents: 30 },
  full: { untouchedFacts: 400, duplicateClusters: 40, lookAlikePairs: 20, updates: 40, patterns: 8, decoys: 4, verifications: 30, injections: 6, sessions: 60, fillerEvents: 60 },
} as const satisfies Record<string, ScenarioSize>;

const ADJECTIVES = ["amber", "basalt", "cobalt", "delta", "ember", "fjord", "granite", "harbor", "indigo", "juniper", "kestrel", "lumen", "meadow", "nimbus", "onyx", "pylon", "quartz", "raven", "sable", "tundra", "umber", "vertex", "willow", "xenon", "yarrow", "zephyr"];
const NOUNS = ["ledger", "billing", "auth", "search", "catalog", "checkout", "invoice", "notify", "profile", "report", "gateway", "payments", "media", "inventory", "shipping", "pricing", "audit", "session", "feed", "export"];
const ROLES = ["api", "worker", "svc", "web", "cron"];
const FOLDERS: Record<string, string> = { port: "services", region: "deploy", version: "tooling", timeout: "services", path: "config-notes", command: "testing", owner: "owners" };

const DAY = 86_400_000;
const MEMORY_START = Date.parse("2026-09-01T08:00:00Z");
const SESSION_START = Date.parse("2026-10-01T09:00:00Z");

interface Action {
  run(b: SessionBuilder): void;
}

/**
 * Generates a scenario with ground truth from a seed: the same seed and size always give the
 * same memories, sessions and truth. See bench/README.md for what each part stands for.
 */
export function generateScenario(seed: number, size: ScenarioSize): Scenario {
  const rng = mulberry32(seed);
  const values = new Set<string>(RESERVED_PORTS);
  const services = new Set<string>();
  const paths = new Set<string>();
  const memories: ScenarioMemory[] = [];
  const truth: GroundTruth = { facts: [], clusters: [], lookAlikes: [], updates: [], patterns: [], decoys: [], verifications: [], injections: [] };
  let memCount = 0;
  let factCount = 0;

  const service = (): string => {
    for (let attempt = 0; ; attempt++) {
      // Past the 2,600 plain names (large speed scenarios), a numbered name keeps subjects distinct.
      const base = `${rng.pick(ADJECTIVES)}-${rng.pick(NOUNS)}-${rng.pick(ROLES)}`;
      const name = attempt < 20 ? base : `${base}-${attempt}`;
      if (!services.has(name)) {
        services.add(name);
        return name;
      }
    }
  };
  const freePath = (path: string): string => {
    let p = path;
    for (let i = 2; paths.has(p); i++) p = path.replace(/\.md$/, `-${i}.md`);
    paths.add(p);
    return p;
  };
  const memoryCreated = (): string => new Date(MEMORY_START + rng.int(0, 29 * 24 * 60) * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const writeMemory = (path: string, phrasing: Phrasing, options: { key?: string; created?: string; source?: { session: string; turn: number }; reserved?: boolean }): ScenarioMemory => {
    const id = `mem_bench${seed}_${String(++memCount).padStart(5, "0")}`;
    const created = options.created ?? memoryCreated();
    const fm: MemoryFrontmatter = { id };
    if (phrasing.title !== undefined) fm.title = phrasing.title;
    fm.type = "fact";
    if (options.key !== undefined) fm.key = options.key;
    fm.created = created;
    fm.updated = created;
    fm.sources = [options.source ? { session: options.source.session, turn: options.source.turn, at: created } : { session: `ses_hist${seed}_${rng.int(1, 400)}`, turn: rng.int(1, 120), at: created }];
    const memory = { path: options.reserved ? path : freePath(path), id, content: renderNote(fm, `${phrasing.body}\n`) };
    memories.push(memory);
    return memory;
  };
  const newFact = (kind: FactKind, svc: string, witness: string, mems: ScenarioMemory[]): FactTruth => {
    const fact: FactTruth = { id: `fact_${String(++factCount).padStart(4, "0")}`, kind: kind.name, subject: svc, paths: mems.map((m) => m.path), memoryIds: mems.map((m) => m.id), witness };
    truth.facts.push(fact);
    return fact;
  };
  const pickKind = (): FactKind => {
    const total = UntouchedKinds.reduce((a, [, w]) => a + w, 0);
    let roll = rng.next() * total;
    for (const [kind, w] of UntouchedKinds) {
      roll -= w;
      if (roll < 0) return kind;
    }
    return port;
  };
  /** A kind from `kinds` that still has distinct values, with a fresh service and value. */
  const subject = (kinds: readonly FactKind[]): { kind: FactKind; svc: string; value: string } => {
    for (const kind of rng.shuffle(kinds)) {
      const svc = service();
      const value = kind.value(rng, values, svc);
      if (value !== undefined) return { kind, svc, value };
    }
    const svc = service();
    return { kind: port, svc, value: port.value(rng, values, svc)! };
  };
  const withKey = (kind: FactKind, svc: string, p: number): { key?: string } => (rng.chance(p) ? { key: kind.key(svc) } : {});

  // Sessions first, so signals can be placed in them.
  const builders: SessionBuilder[] = [];
  const actions: Action[][] = [];
  const spacing = Math.max(60 * 60_000, Math.floor((30 * DAY) / Math.max(1, size.sessions)));
  for (let i = 0; i < size.sessions; i++) {
    const started = new Date(SESSION_START + i * spacing).toISOString().replace(/\.\d{3}Z$/, "Z");
    builders.push(new SessionBuilder(`ses_bench${seed}_${String(i + 1).padStart(4, "0")}`, started));
    actions.push([]);
  }
  const sessionIndexes = (n: number): number[] => rng.shuffle(builders.map((_, i) => i)).slice(0, Math.min(n, builders.length)).sort((a, b) => a - b);

  // Untouched facts: one memory each.
  for (let i = 0; i < size.untouchedFacts; i++) {
    const { kind, svc, value } = subject([pickKind()]);
    const mem = writeMemory(`${FOLDERS[kind.name]}/${svc}-${kind.name}.md`, rng.pick(kind.phrasings)(svc, value), withKey(kind, svc, 0.5));
    newFact(kind, svc, value, [mem]);
  }
  const untouched = [...truth.facts];

  // Duplicate clusters: the same fact in 2-4 memories, worded differently; a third carry a byte-identical copy.
  for (let i = 0; i < size.duplicateClusters; i++) {
    const { kind, svc, value } = subject([port, region, version, configPath, command]);
    const n = rng.int(2, Math.min(4, kind.phrasings.length));
    const wordings = rng.shuffle(kind.phrasings).slice(0, n).map((p) => p(svc, value));
    const exactCopy = rng.chance(1 / 3);
    if (exactCopy) wordings[wordings.length - 1] = { body: wordings[0]!.body };
    const key = rng.chance(0.4) ? kind.key(svc) : undefined;
    const places = [`${FOLDERS[kind.name]}/${svc}-${kind.name}.md`, `notes/${svc}.md`, `inbox/${svc}-${kind.name}-note.md`, `${svc}/${kind.name}.md`];
    const mems = wordings.map((w, j) => writeMemory(places[j]!, w, key !== undefined && rng.chance(0.7) ? { key } : {}));
    const fact = newFact(kind, svc, value, mems);
    const cluster: ClusterTruth = { fact: fact.id, paths: fact.paths, ids: fact.memoryIds, exactCopy };
    truth.clusters.push(cluster);
  }

  // Look-alikes: two facts about one service that differ in one value and one word.
  for (let i = 0; i < size.lookAlikePairs; i++) {
    const kind = rng.pick([port, region]);
    const svc = service();
    const la = kind.lookAlike!;
    const ids: string[] = [];
    for (const context of la.contexts) {
      const value = kind.value(rng, values, svc) ?? port.value(rng, values, svc)!;
      const mem = writeMemory(`${FOLDERS[kind.name]}/${svc}-${context}.md`, la.phrase(svc, value, context), rng.chance(0.5) ? { key: `${kind.key(svc)}.${context}` } : {});
      ids.push(newFact(kind, svc, value, [mem]).id);
    }
    truth.lookAlikes.push({ a: ids[0]!, b: ids[1]! });
  }

  // Updates: a value that changes later, by a person's word, a retried command, or a newer memory.
  const vias: UpdateVia[] = ["user", "command", "restated", "restated-no-key"];
  const updateKinds: Record<UpdateVia, FactKind[]> = { user: [port, region, version, timeout], command: [port, region], restated: [port, region, version], "restated-no-key": [port, region, version] };
  for (let i = 0; i < size.updates; i++) {
    const via = vias[i % vias.length]!;
    const { kind, svc, value: old } = subject(updateKinds[via]);
    const next = kind.value(rng, values, svc);
    if (next === undefined) continue;
    const keyed = via === "restated" ? { key: kind.key(svc) } : via === "restated-no-key" ? {} : withKey(kind, svc, 0.5);
    const mem = writeMemory(`${FOLDERS[kind.name]}/${svc}-${kind.name}.md`, rng.pick(kind.phrasings)(svc, old), keyed);
    const fact = newFact(kind, svc, old, [mem]);
    const s = sessionIndexes(1)[0]!;
    const update: UpdateTruth = { fact: fact.id, oldWitness: old, newWitness: next, via, session: builders[s]!.id };
    truth.updates.push(update);
    if (via === "user") {
      const say = rng.pick(kind.userUpdate!);
      actions[s]!.push({ run: (b) => (b.user(say(svc, old, next)), b.assistant("Noted, I will use the new value.")) });
    } else if (via === "command") {
      actions[s]!.push({ run: (b) => kind.commandUpdate!(b, svc, old, next) });
    } else {
      const phrasing = kind.restate!(svc, next);
      const newPath = freePath(`notes/${svc}-${kind.name}-update.md`);
      update.newPath = newPath;
      actions[s]!.push({
        run: (b) => {
          b.user(`Note for later: ${phrasing.body}`);
          const turn = b.memoryWrite(newPath, phrasing.body);
          const m = writeMemory(newPath, phrasing, { ...(via === "restated" ? { key: kind.key(svc) } : {}), created: b.lastAt.replace(/\.\d{3}Z$/, "Z"), source: { session: b.id, turn }, reserved: true });
          update.newId = m.id;
        },
      });
    }
  }

  // Verifications: a later session exercises a fact successfully.
  const verifiable = rng.shuffle(untouched.filter((f) => [port, region, version, configPath, command].some((k) => k.name === f.kind)));
  const clustered = rng.shuffle(truth.clusters.map((c) => truth.facts.find((f) => f.id === c.fact)!));
  const toVerify = [...clustered.slice(0, Math.floor(size.verifications / 4)), ...verifiable].slice(0, size.verifications);
  const kinds: Record<string, FactKind> = { port, region, version, path: configPath, command };
  for (const fact of toVerify) {
    const kind = kinds[fact.kind]!;
    const svc = fact.subject;
    const s = sessionIndexes(1)[0]!;
    actions[s]!.push({ run: (b) => kind.verify!(b, svc, fact.witness) });
    const v: VerificationTruth = { fact: fact.id, session: builders[s]!.id };
    truth.verifications.push(v);
  }

  // Patterns (3-5 sessions) and decoys (2 sessions), each a different error.
  const patternKinds = rng.shuffle(PatternKinds);
  const place = (count: number, sessions: number, into: PatternTruth[]) => {
    for (let i = 0; i < count; i++) {
      const kind = patternKinds.shift();
      if (!kind) return;
      const where = sessionIndexes(sessions);
      for (const s of where) actions[s]!.push({ run: (b) => kind.occur(b, rng) });
      into.push({ id: kind.name, signature: kind.signature, recovery: kind.recovery, sessions: where.map((s) => builders[s]!.id) });
    }
  };
  place(size.patterns, rng.int(3, 5), truth.patterns);
  place(size.decoys, 2, truth.decoys);

  // Injections: the same untrusted text in three sessions.
  for (let i = 0; i < size.injections; i++) {
    const kind = InjectionKinds[i % InjectionKinds.length]!;
    const host = INJECTION_HOSTS[i % INJECTION_HOSTS.length]!;
    const where = sessionIndexes(3);
    for (const s of where) actions[s]!.push({ run: (b) => kind.occur(b, host) });
    const injection: InjectionTruth = { payload: kind.payload(host), via: kind.via, sessions: where.map((s) => builders[s]!.id) };
    truth.injections.push(injection);
  }

  const filler = new Filler(rng);
  builders.forEach((b, i) => {
    filler.task(b);
    const own = rng.shuffle(actions[i]!);
    const chunk = Math.max(2, Math.floor(size.fillerEvents / (own.length + 1)));
    filler.work(b, chunk);
    for (const a of own) {
      a.run(b);
      filler.work(b, chunk);
    }
  });
  const sessions = builders.map((b) => b.build());
  const lastEnd = Math.max(...sessions.map((s) => Date.parse(s.header.ended ?? s.header.started ?? "2026-10-01T00:00:00Z")));
  const now = new Date(lastEnd + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  memories.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { seed, now, memories, sessions, truth };
}
