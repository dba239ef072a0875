import nlp from "compromise";

/**
 * What the offline passes need from English, from a maintained analyser (`compromise`) rather
 * than hand-written grammars: sentences, questions, imperative mood, negation and tense. The
 * analyser is rule-based and deterministic, so the consolidator stays deterministic too.
 */

/** One clause of a person's message, with what its grammar says. */
export interface Clause {
  /** The clause as written (emphasis marks removed, whitespace collapsed). */
  text: string;
  /** The sentence the clause came from, for quoting. */
  sentence: string;
  question: boolean;
  /** The clause tells the agent to do something ("run …", "please use …", "don't …"). */
  imperative: boolean;
  negative: boolean;
  /** The main verb is in a past tense ("I renamed …", "we've always created …"): history, not a rule. */
  past: boolean;
  /** The clause's subject is the speaker ("I …", "we …"). */
  firstPerson: boolean;
  /** True when the clause matches a compromise match pattern (word lists, tags like `#Verb`). */
  has(pattern: string): boolean;
}

/**
 * Typed line breaks in terminal exports end with a backslash; emphasis (`*never*`, `**keep**`)
 * and list bullets say nothing about meaning.
 */
function plain(text: string): string {
  return unwrap(text)
    .replace(/\\\s*\n/g, "\n")
    .replace(/(\*{1,3}|_{2,3})(?=\S)([^*\n]+?)(?<=\S)\1/g, "$2")
    .replace(/^\s*(?:[-*•]|\d+[.)])\s+/gm, "");
}

/**
 * Terminal exports hard-wrap long lines. A line break inside a sentence — the line does not end
 * a sentence and the next one goes on in lower case — is a wrap, not a break the person typed.
 */
function unwrap(text: string): string {
  return text.replace(/([^\n.!?:;\\])[ \t]*\n[ \t]*(?=[a-z('"‘“])/g, "$1 ");
}

/**
 * Clause boundaries inside a sentence: semicolons, dashes used as separators, enumerations "(a)",
 * "(2)", and a correction ("… but that is not correct, we don't …"), after which comes the right way.
 */
const CLAUSE_BREAK = /\s*;\s+|\s+[-–—]\s+|\s*\((?:[a-h]|[1-9])\)\s+|,?\s*\b(?:but\s+)?(?:that|this|it)(?:'s|\s+is)\s+(?:not\s+(?:correct|right|true)|wrong|incorrect)\s*[,.:;]\s*/i;

/** The clauses of a message, in order. Messages are analysed paragraph by paragraph. */
export function clausesOf(text: string): Clause[] {
  const out: Clause[] = [];
  for (const paragraph of plain(text).split(/\n\s*\n|\n/)) {
    if (paragraph.trim() === "") continue;
    for (const sentence of nlp(paragraph).sentences().out("array") as string[]) {
      const whole = sentence.replace(/\s+/g, " ").trim();
      const asked = /\?\s*$/.test(whole);
      const parts = whole.split(CLAUSE_BREAK).filter((p) => p.trim() !== "");
      parts.forEach((part, i) => {
        const clause = part.trim().replace(/[,:]\s*$/, "");
        if (clause === "") return;
        out.push(analyse(clause, whole, asked && i === parts.length - 1));
      });
    }
  }
  return out;
}

function analyse(text: string, sentence: string, endsQuestion: boolean): Clause {
  const doc = nlp(text);
  const question = endsQuestion || /\?\s*$/.test(text) || doc.questions().found;
  const verbs = doc.verbs().json() as Array<{ verb?: { grammar?: { form?: string }; negative?: boolean } }>;
  const form = verbs[0]?.verb?.grammar?.form ?? "";
  return {
    text,
    sentence,
    question,
    imperative: doc.verbs().isImperative().found || doc.has("^(please|just|also)? (do not|dont|don't|never) #Verb"),
    negative: doc.has("#Negative") || verbs.some((v) => v.verb?.negative === true),
    // "have renamed", "created", "had been": history. A passive ("should be archived") is not.
    past: /past|perfect/.test(form),
    firstPerson: doc.has("^(ok|okay|yes|well|so|and|but)? (i|we|i'm|i've|we've|i'd|we'd|i'll)"),
    has: (pattern) => doc.has(pattern),
  };
}
