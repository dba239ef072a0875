import type { Evidence, LearnOperation } from "../consolidate/operations.js";
import { sortEvidence, withAt, type TurnIndex } from "./evidence.js";
import { clausesOf, type Clause } from "./language.js";
import type { MemoryView } from "./memory-view.js";
import { freePath, oneLine, slugify } from "./memory-paths.js";
import type { SessionSignals } from "./signals.js";
import { weightedContainment, weightedJaccard, type TermStats } from "./similarity.js";
import { tokenSet } from "./tokenize.js";
import { valueSet } from "./values.js";

/**
 * Rules, preferences and prohibitions a person states to the agent ("in all cases … never delete
 * tasks", "use a correction manifest rather than editing attribution.csv directly", "don't forget
 * to commit and push when done"). A person's explicit statement is enough once — it is the
 * strongest evidence a session holds — so a statement needs one session, and the number of
 * sessions that repeat it is its support. What is not a rule: questions, one-off instructions
 * ("don't apply them yet"), the speaker's own history or perception ("I've renamed …", "I don't
 * see …").
 */

/** What makes a clause a standing rule rather than a request for now. */
export type StatementKind = "rule" | "prohibition" | "preference" | "reminder" | "caution" | "fact";

/*
 * Match patterns of compromise, one per phrase: its `(a|b)` alternation is of single words, so a
 * phrase list is a list of patterns.
 */
/** Words that make an instruction hold beyond the task at hand. */
const STANDING = ["(always|never|whenever|throughout)", "by default", "from now on", "going forward", "in all cases", "(every|each) time", "in the? future", "at all times", "as a rule", "without exception"];
/** Standing words that state a policy even in a plain declarative ("the scan supersedes the diary by default"). */
const POLICY = ["by default", "from now on", "going forward", "in all cases", "as a rule"];
/** A choice between two ways: the rule is the first. */
const CONTRAST = ["rather than", "instead of", "(prefer|prefers|preferred)", "(#PastTense|#Participle) not (#PastTense|#Participle)"];
/** Words that keep an instruction to the present task. */
const ONE_OFF = ["(yet|today|until|anymore|again|first)", "for now", "right now", "just now", "this time", "at the moment", "any more"];
/** Negations that are not prohibitions: "don't need to", "don't worry", "don't forget" (a reminder). */
const NOT_A_PROHIBITION = "(do|dont|don't) not? (need|have|worry|mind|forget)";

/** A speaker stating a rule for themselves and the agent: "we always …", "we should …", "I prefer …". */
const SPEAKER_RULE = "^(i|we) #Adverb? (always|never|prefer|should|must|want|use)";

/** Warnings that hold for the work ahead: "be careful searching on dates, …", "keep in mind that …". */
const CAUTION = "^(please)? (be careful|beware|watch out|keep in mind|bear in mind)";
/** Asking for one way everywhere: "be consistent marking them (EN) and (BG)", "standardise on …". */
const CONSISTENCY = ["be consistent", "(standardise|standardize) on"];
/** A correction of what the agent did, which states the rule it broke: "that file should not have been changed". */
const BROKEN_RULE = "(should|must) (not|never) have been #Verb";
/** What the user says the project's guidance must say. */
const DICTATED = "(should|must) (state|say|specify|make clear) that";
/** A team's practice, stated against what the agent assumed: "we don't gitignore the whole folder". */
const TEAM_PRACTICE = /^we (?:don't|dont|do not) \w/i;
/** What the team lacks, knows or feels is not a practice: "we don't need to", "we don't see". */
const NOT_A_PRACTICE = /^we (?:don't|dont|do not) (?:need|have|know|see|think|want|get|understand|mind|care|remember|like|worry|forget)\b/i;
/** The speaker's classification, a convention for the work: "I'd classify unit number errors as major". */
/**
 * "Regex isn't going to work, you need to read them manually", "you will need to use X, nothing
 * else works": what fails and what must be done instead, said by someone who has tried.
 */
const WONT_WORK = ["not (going to)? (work|works)", "nothing else (will)? (work|works)"];
const MUST_INSTEAD = "(you|we) (will|'ll)? (need|have) to #Verb";

const CLASSIFICATION = "^(i|we) (would|'d)? #Adverb? (classify|count|treat|categorise|categorize|label) .+ as";
/** A settled state stated by the user: "the validation package is now the single source of truth". */
const NOW_IS = "(is|are) now (the|our|a|an|in|at|under|called|named|#Value)";

const hasAny = (clause: Clause, patterns: readonly string[]) => patterns.some((p) => clause.has(p));

/** "You can always …", "may never …": a standing word that grants or describes, not one that rules. */
const PERMISSION = "(can|could|may|might) (always|never)";
/** Verbs that ask for a piece of work ("assess the trade-offs between X rather than Y"), not for a way of working. */
const REQUEST = "^(please)? (assess|examine|explain|tell|show|check|review|investigate|analyse|analyze|describe|summarize|summarise|list|look|compare|consider|find|search|read|see|give|let|continue|proceed|go)";

/** Politeness and discourse words a clause may open with. */
const LEAD_WORDS = "(please|ok|okay|yes|and|also|but|so|just|one thing)+";

/** The kind of standing statement a clause makes, or undefined when it makes none. */
export function kindOf(clause: Clause): StatementKind | undefined {
  if (clause.question || clause.text.length < 12 || clause.text.length > 320) return undefined;
  if (clause.has("(do|dont|don't) not? forget to")) return "reminder";
  // "Remember that you can …", "recall that they should …" remind of a rule; "note that I'm …" reports.
  if (clause.has("^(please|and|also|but)? (remember|recall|note) (that|to)")) return clause.has("(you|#Imperative|should|must|need to|to #Verb)") && !clause.has("that (i|we)") ? "reminder" : undefined;
  if (clause.has("^if (so|not)")) return undefined;
  if (clause.has(BROKEN_RULE)) return "prohibition";
  // "The guidelines should state that the DPF supersedes the diary": the rule is what they state.
  if (clause.has(DICTATED)) return "rule";
  // The speaker's history ("I've always created the repo first") or a report of the past is not an instruction.
  if (clause.past) return undefined;
  if (hasAny(clause, CONSISTENCY) && !clause.has("(not|never) being consistent")) return "rule";
  if (TEAM_PRACTICE.test(clause.text) && !NOT_A_PRACTICE.test(clause.text)) return "rule";
  if (hasAny(clause, STANDING) && !clause.has("not always") && !clause.has(PERMISSION)) {
    if (clause.firstPerson) return clause.has(SPEAKER_RULE) ? "rule" : undefined;
    // "The validation package is used throughout the codebase" describes; a rule tells, or states a policy.
    const directive = clause.imperative || clause.has("(please|you|should|must|shall)") || clause.has("^(always|never) #Verb");
    return directive || hasAny(clause, POLICY) ? "rule" : undefined;
  }
  if (clause.has(CAUTION)) return "caution";
  // "That won't work, you need to fix the test first" is about the attempt at hand: its subject
  // points back, or it is for now.
  if (hasAny(clause, WONT_WORK) && clause.has(MUST_INSTEAD) && !clause.has("^(it|this|that) ") && !hasAny(clause, ONE_OFF)) return "caution";
  if (clause.has(CLASSIFICATION)) return "preference";
  if (!clause.firstPerson && !clause.imperative && clause.has(NOW_IS) && !clause.has("^(it|this|that|these|those|there) ")) return "fact";
  // A prohibition opens the clause ("please never …", "don't …"); a "don't" further in is usually a report.
  if (clause.has(`^${LEAD_WORDS}? (do|dont|don't|never) not? #Verb`) && clause.negative && !clause.has(NOT_A_PROHIBITION)) {
    return hasAny(clause, ONE_OFF) || (clause.has("now") && !clause.has("from now on")) ? undefined : "prohibition";
  }
  // "I think it might be best to use X rather than Y" is the speaker's recommendation; "assess X
  // rather than Y" asks for work.
  if (clause.has(REQUEST)) return undefined;
  // A contrast is a preference when it directs ("mark X as primary over Y", "use X rather than Y");
  // "this exercise focuses on X rather than Y" describes.
  const directs = clause.imperative || clause.has("(should|must|prefer|prefers|please|shall)") || clause.has("(best|better) to #Verb");
  if (hasAny(clause, CONTRAST) && directs && (!clause.firstPerson || clause.has(SPEAKER_RULE) || clause.has("(best|better) to #Verb"))) return "preference";
  return undefined;
}

/** Discourse words and politeness at the start of a clause, which a memory does not need. */
const LEAD_IN = /^(?:(?:ok(?:ay)?|yes|yeah|great|thanks?|thank you|one thing|also|and|but|so|well|hi \w+|please)[\s,:!.-]+)+/i;

function statementText(clause: Clause): string {
  const text = clause.text.replace(LEAD_IN, "").replace(/^(?:in all cases|going forward|from now on)\s*,\s*/i, (m) => m);
  const trimmed = text.replace(/[\s,;:.-]+$/, "");
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}

interface Statement {
  session: string;
  rank: number;
  turn: number;
  at: string | undefined;
  kind: StatementKind;
  text: string;
  sentence: string;
  tokens: Set<string>;
  /** "never …", "don't …": a prohibition and a rule of the same words say opposite things. */
  negative: boolean;
}

/** A lead-in that is no part of a rule: assent, or the speaker about themselves ("I don't know what went wrong"). */
const ASIDE = /^(?:yes|yeah|ok|okay|no|great|thanks|sure|right|well)\b|^(?:i|i'm|i've|i'd|i'll)\b/i;

/**
 * The part of a clause that states the rule: leading asides ("Yes, I don't know what went wrong,
 * the guidelines should state …") and a report before a "but" ("It says one change was made,
 * but that file should not have been changed") are dropped while the rest still states it.
 */
function focus(clause: Clause, kind: StatementKind): Clause {
  let current = clause;
  for (;;) {
    const m = /^(.*?),\s*(?:but\s+)?(.+)$/i.exec(current.text);
    if (m === null) return current;
    const [head, rest] = [m[1]!, m[2]!];
    const aside = /,\s*but\s/i.test(current.text.slice(0, head.length + 6)) || ASIDE.test(head);
    if (!aside) return current;
    const [restClause] = clausesOf(rest);
    if (restClause === undefined || kindOf(restClause) !== kind) return current;
    current = restClause;
  }
}

/** A statement that names its subject by pointing back ("this pattern", "them"). */
const REFERS_BACK = /\b(?:this|these|those|it|them|they)\b/i;

/** A statement that leans on the one before it ("… instead", "instead, …", "then …"). */
const CONTINUES = /^(?:instead|then|otherwise)\b|\binstead\s*[.!]?$/i;

/** Harness text that arrives as a "user" message (slash-command wrappers, hook refusals). */
function isHarnessText(text: string): boolean {
  return /^\s*<(?:command-|local-command|system-reminder|user-prompt-submit-hook)/.test(text) || /^Operation stopped by hook:/.test(text) || isCompactionSummary(text);
}

/**
 * A summary of an earlier conversation that arrives as the user's message (`/compact …`,
 * "This session is being continued from a previous conversation"): the agent wrote it, in
 * note form, so its lines are not the user's words — the rules it lists are learned from the
 * turns where the user said them.
 */
function isCompactionSummary(text: string): boolean {
  return /^\s*\/compact\b/.test(text) || /^\s*This session is being continued from a previous conversation/.test(text);
}

/** The statements of every user message, in dream order. */
function statementsOf(signals: readonly SessionSignals[]): Statement[] {
  const out: Statement[] = [];
  for (const s of signals) {
    for (const m of s.userMessages) {
      if (isHarnessText(m.event.text) || m.event.queued) continue;
      let previous: Statement | undefined;
      let sentenceBefore: string | undefined;
      let sentenceNow: string | undefined;
      for (const clause of clausesOf(m.event.text)) {
        if (clause.sentence !== sentenceNow) [sentenceBefore, sentenceNow] = [sentenceNow, clause.sentence];
        const kind = kindOf(clause);
        if (kind === undefined) {
          previous = undefined;
          continue;
        }
        const text = statementText(focus(clause, kind));
        // "Never delete completed tasks. Always mark them done instead.": the second says how to
        // keep the first, and cannot stand alone.
        if (previous !== undefined && CONTINUES.test(text)) {
          previous.text = `${previous.text.replace(/[.!]$/, "")}; ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
          if (!previous.sentence.includes(clause.sentence)) previous.sentence = `${previous.sentence} ${clause.sentence}`;
          for (const t of tokenSet(text)) previous.tokens.add(t);
          continue;
        }
        const tokens = tokenSet(text);
        if (tokens.size < 2) continue;
        // "Regex isn't going to work, you need to read them manually" as a message's first words:
        // what "them" are was said by the agent, so the statement cannot stand alone in memory.
        if (kind === "caution" && sentenceBefore === undefined && REFERS_BACK.test(text)) {
          previous = undefined;
          continue;
        }
        // "… is now the single source of truth for this regex pattern": the sentence before says which.
        const sentence = sentenceBefore !== undefined && REFERS_BACK.test(text) ? `${sentenceBefore} ${clause.sentence}` : clause.sentence;
        previous = { session: s.id, rank: s.rank, turn: m.event.turn, at: m.event.at, kind, text, sentence, tokens, negative: clause.negative };
        out.push(previous);
      }
    }
  }
  return out;
}

/**
 * Two wordings of one statement: most of their words shared, or the shorter one contained in the
 * longer with the same polarity — and never two that name different values ("port 5432" and
 * "port 6543").
 */
function sameStatement(cluster: { tokens: Set<string>; items: Statement[] }, st: Statement, stats: TermStats): boolean {
  if (weightedJaccard(cluster.tokens, st.tokens, stats) >= 0.6) return true;
  if (cluster.items[0]!.negative !== st.negative || weightedContainment(cluster.tokens, st.tokens, stats) < 0.6) return false;
  const a = valueSet(cluster.items[0]!.text);
  const b = valueSet(st.text);
  return [...b].every((v) => a.has(v)) || [...a].every((v) => b.has(v));
}

/** Up to two earlier wordings that say more than the latest one, for the memory to quote too. */
function otherWordings(items: readonly Statement[], latest: Statement): Statement[] {
  const seen = new Set([latest.sentence]);
  const out: Statement[] = [];
  for (const i of [...items].reverse()) {
    if (out.length === 2 || seen.has(i.sentence) || [...i.tokens].every((t) => latest.tokens.has(t))) continue;
    seen.add(i.sentence);
    out.push(i);
  }
  return out;
}

/**
 * Learns what the user stated as a rule, preference, prohibition or reminder: one `preference`
 * memory per statement, paraphrases across sessions grouped into one (its support is the number
 * of sessions), quoting the latest wording with the turn. Statements an existing memory already
 * says are left out.
 */
export function learnStatements(
  signals: readonly SessionSignals[],
  views: readonly MemoryView[],
  stats: TermStats,
  taken: Set<string>,
  turns: TurnIndex,
): LearnOperation[] {
  const clusters: Array<{ tokens: Set<string>; items: Statement[] }> = [];
  for (const st of statementsOf(signals)) {
    const home = clusters.find((c) => sameStatement(c, st, stats));
    if (home) home.items.push(st);
    else clusters.push({ tokens: st.tokens, items: [st] });
  }
  const ops: LearnOperation[] = [];
  for (const c of clusters) {
    const latest = c.items.reduce((a, b) => (b.rank > a.rank || (b.rank === a.rank && b.turn > a.turn) ? b : a));
    if (views.some((v) => weightedJaccard(v.tokens, latest.tokens, stats) >= 0.5)) continue;
    // A statement naming a value a memory holds corrects that memory: the stale pass decides it.
    const values = valueSet(latest.text);
    if (views.some((v) => [...values].some((x) => v.values.has(x)))) continue;
    const sessions = [...new Set(c.items.map((i) => i.session))];
    const firstPerSession = sessions.map((id) => c.items.find((i) => i.session === id)!);
    const evidence: Evidence[] = [...firstPerSession, latest].map((i) => withAt({ session: i.session, turn: i.turn, note: `the user states it` }, i.at));
    const statement = oneLine(latest.text, 300);
    const quote = oneLine(latest.sentence, 600);
    const body = [
      /[.!]$/.test(statement) ? statement : `${statement}.`,
      "",
      `The user said so in ${latest.session}#${latest.turn}${sessions.length > 1 ? ` (and in ${sessions.length - 1} other session${sessions.length === 2 ? "" : "s"})` : ""}:`,
      "",
      `> ${quote}`,
      "",
      ...otherWordings(c.items, latest).flatMap((i) => [`In ${i.session}#${i.turn}:`, "", `> ${oneLine(i.sentence, 600)}`, ""]),
    ].join("\n");
    ops.push({
      kind: "learn",
      path: freePath(latest.kind === "fact" ? "facts" : "preferences", slugify(statement, 7, latest.kind === "fact" ? "fact" : "preference"), taken),
      title: oneLine(statement, 90),
      type: latest.kind === "fact" ? "fact" : "preference",
      body,
      trust: "normal",
      support: sessions.length,
      confidence: "stated",
      tags: ["user-stated", latest.kind],
      reason: `the user stated a ${latest.kind} in ${sessions.length} session${sessions.length === 1 ? "" : "s"}: "${oneLine(statement, 80)}"`,
      evidence: sortEvidence(evidence, turns),
    });
  }
  return ops;
}
