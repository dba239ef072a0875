import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { html as diffHtml } from "diff2html";
import { openMemory } from "@reverie/core";
import { quoteEvidence, type DreamRecord, type QuotedTurn } from "@reverie/dream";

/** Everything the review page shows of one dream, read once from the memory. */
export interface ReviewData {
  record: DreamRecord;
  /** Aligned with `record.operations`. */
  quotes: QuotedTurn[][];
  /** Each operation's commit rendered as an HTML diff (diff2html), or a note why there is none. */
  diffs: string[];
  /** diff2html's stylesheet, inlined so the page needs nothing from outside the machine. */
  diffCss: string;
  /** `--dir …` as the user gave it, for the equivalent commands the page prints. */
  dirArg: string;
}

export async function loadReview(memoryDir: string, record: DreamRecord, dirArg: string): Promise<ReviewData> {
  const memory = await openMemory(memoryDir);
  const quotes = await quoteEvidence(memory.dir, record);
  const diffs: string[] = [];
  for (const op of record.operations) {
    const shown = op.commit ? await memory.repo.run(["show", "--format=", "--patch", "--no-color", "--no-ext-diff", op.commit, "--"], { okCodes: [128] }) : null;
    if (!shown || shown.code !== 0) diffs.push(`<p class="note">No diff: the commit of this operation (${op.commit ?? "none"}) is no longer in the repository.</p>`);
    else diffs.push(diffHtml(shown.stdout, { drawFileList: false, outputFormat: "line-by-line", matching: "lines" }));
  }
  const css = createRequire(import.meta.url).resolve("diff2html/bundles/css/diff2html.min.css");
  return { record, quotes, diffs, diffCss: await readFile(css, "utf8"), dirArg };
}
