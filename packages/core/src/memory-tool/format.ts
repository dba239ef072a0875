/** The widest line number the tool prints; numbers are right-aligned to its width. */
export const MAX_LINES = 999_999;
const LINE_NUMBER_WIDTH = String(MAX_LINES).length;

/** `lines` numbered from `first`, one per row as `<number right-aligned to 6>\t<line>`, as the tool documents. */
export function numberLines(lines: readonly string[], first: number): string {
  return lines.map((line, i) => `${String(first + i).padStart(LINE_NUMBER_WIDTH, " ")}\t${line}`).join("\n");
}

/** Sizes as `du -h` prints them and the tool's directory view shows them: `0B`, `512B`, `1.5K`, `4K`. */
export function formatSize(bytes: number): string {
  if (bytes === 0) return "0B";
  const units = ["B", "K", "M", "G"];
  const i = Math.min(units.length - 1, Math.floor(Math.log(bytes) / Math.log(1024)));
  const size = bytes / 1024 ** i;
  return `${size % 1 === 0 ? String(size) : size.toFixed(1)}${units[i]}`;
}
