/**
 * What git runs to merge a memory file (`merge.reverie.driver`, registered by `registerMergeDriver`):
 * `node merge-driver-main.js <base> <ours> <theirs> <marker-size> <path>`. Writes the result
 * over `<ours>` and exits 0 when clean, 1 when it left conflict markers — git's driver protocol.
 */
import { readFile, writeFile } from "node:fs/promises";
import { mergeMemoryText, mergeText } from "./merge-memory.js";

async function main(argv: readonly string[]): Promise<number> {
  const [basePath, oursPath, theirsPath, marker = "7", path = oursPath] = argv;
  if (!basePath || !oursPath || !theirsPath) {
    process.stderr.write("usage: merge-driver-main.js <base> <ours> <theirs> [marker-size] [path] (git runs this as merge.reverie.driver)\n");
    return 2;
  }
  const [base, ours, theirs] = await Promise.all([basePath, oursPath, theirsPath].map((file) => readFile(file, "utf8")));
  const markerSize = Number.parseInt(marker, 10) || 7;
  let merged;
  try {
    merged = await mergeMemoryText({ base: base!, ours: ours!, theirs: theirs!, path, markerSize });
  } catch (error) {
    // Never leave git with only our side: fall back to git's plain text merge, markers and all.
    process.stderr.write(`reverie merge driver: ${path}: ${(error as Error).message}; merged as plain text instead\n`);
    merged = await mergeText(ours!, base!, theirs!, markerSize);
  }
  await writeFile(oursPath, merged.text);
  return merged.conflicted ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`reverie merge driver failed: ${(error as Error).message}\n`);
    process.exitCode = 2;
  },
);
