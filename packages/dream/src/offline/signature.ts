/**
 * Signatures that make the same error (or the same recovery) recognisable across sessions:
 * paths, numbers, hashes, ids, URLs and quoted names are replaced by placeholders.
 */

const ERROR_LINE = /\b(?:error|err!|exception|fail(?:ed|ure)?|fatal|cannot|can't|could\s+not|not\s+found|no\s+such|denied|refused|invalid|missing|unknown|undefined|timed?\s*out|panic)\b/i;
/** A line that names the error itself: `KeyError: 'Season'`, `fatal: …`, `npm ERR! code ERESOLVE`. */
const NAMED_ERROR = /(?:^|\s)(?:[A-Z]\w*(?:Error|Exception)|fatal|error|ERR!|panic)(?::|\s+TS\d+:|\s+code\b)/;
/*
 * Lines that announce a failure without saying what failed: the harness's exit-code banner, a
 * traceback's header and frames, a test runner's rule lines.
 */
const BANNER = /^(?:error:?\s*)?exit code:?\s*\d+$|^traceback \(most recent call last\):?$|^file "[^"]*", line \d+|^at\s|^[=\-_*#~ ]{3,}.*[=\-_*#~]{3,}$|^[=\-_*#~ ]+$/i;

/** A warning (`npm warn …`, `warning: …`, `WARN …`, `⚠ …`): printed on the way, it is not what failed. */
const WARNING = /^(?:[\w@.-]+\s+)?(?:warn(?:ing)?\b|⚠)/i;

/** The text of a tool's error with harness wrappers (`<tool_use_error>`) removed. */
function unwrapped(text: string): string {
  return text.replace(/<\/?tool_use_error>/g, "");
}

/**
 * The line of a tool's error output that names the error, trimmed: the first naming an error
 * class (`KeyError: …`) or carrying an error word, else the first line; warnings are passed over. Exit-code banners,
 * traceback headers and frames and rule lines are never it; an output of nothing else gives "".
 */
export function errorLine(text: string): string {
  const lines = unwrapped(text).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !BANNER.test(l));
  const line = lines.find((l) => !WARNING.test(l) && (NAMED_ERROR.test(l) || ERROR_LINE.test(l))) ?? lines.find((l) => !WARNING.test(l)) ?? lines[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Placeholder form of a line of text. */
export function normalizeSignature(text: string, maxTokens = 16): string {
  const s = text
    .toLowerCase()
    .replace(/\bhttps?:\/\/\S+/g, "<url>")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<id>")
    // Lock ids, request ids and the like are hex groups joined by dashes that only loosely follow the UUID shape.
    .replace(/\b[0-9a-f]+(?:-[0-9a-f]+){2,}\b/g, (m) => (m.length >= 12 && /\d/.test(m) ? "<id>" : m))
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{7,}\b/g, "<hash>")
    .replace(/\b(?:ses|mem|drm|toolu|msg|req)_[\w-]+/g, "<id>")
    .replace(/'[^'\n]*'|"[^"\n]*"|`[^`\n]*`/g, "<str>")
    .replace(/(?:~|\.{1,2})?(?:\/[\w.@+-]+)+\/?|\b[\w@+-]+(?:\/[\w.@+-]+)+|\b[\w-]+\.(?:[a-z]{1,4})\b(?=[:\s,)]|$)/g, "<path>")
    .replace(/\b\d+(?:\.\d+)*\b/g, "<n>")
    .replace(/[^\S\n]+/g, " ")
    .trim();
  return s.split(" ").slice(0, maxTokens).join(" ");
}

/** A recovery call's signature: tool name plus its command with placeholders, first few words only. */
export function recoverySignature(tool: string, command: string): string {
  return `${tool.toLowerCase()}: ${normalizeSignature(command, 6)}`;
}

/** An error's signature: tool name plus the placeholder form of its error line. */
export function errorSignature(tool: string, output: string): string {
  return `${tool.toLowerCase()}: ${normalizeSignature(errorLine(output))}`;
}
