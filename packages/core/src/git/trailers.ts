/**
 * Git trailers carry attribution on every memory commit (DESIGN §2): `Memory-Op`, `Agent`,
 * `Session`, and for dreams `Dream`, `Dream-Op`, `Evidence`.
 */
export type Trailers = Record<string, string>;

const TRAILER_KEY = /^[A-Za-z][A-Za-z0-9-]*$/;

/** Renders trailers as the last paragraph of a commit message; values are folded to one line. */
export function formatTrailers(trailers: Trailers): string {
  return Object.entries(trailers)
    .filter(([key, value]) => TRAILER_KEY.test(key) && value !== "")
    .map(([key, value]) => `${key}: ${value.replace(/\s*\n\s*/g, " ")}`)
    .join("\n");
}

/** Parses `Key: value` lines as printed by `%(trailers:only,unfold)`; a repeated key keeps the last value. */
export function parseTrailers(text: string): Trailers {
  const trailers: Trailers = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z][A-Za-z0-9-]*):\s?(.*)$/.exec(line.trim());
    if (match) trailers[match[1]!] = match[2]!;
  }
  return trailers;
}
