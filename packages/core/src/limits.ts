import { ReverieError, truncateForMessage } from "./errors.js";

/**
 * Limits on everything reverie parses from a memory folder. A pulled folder is untrusted input
 * (SECURITY.md): each limit is checked before the expensive step it guards, so a hostile file
 * costs a linear scan and a located error, never a hang, a crash or a lost report.
 */
export const LIMITS = {
  /** Largest memory file read or written, in bytes (1 MiB). */
  fileBytes: 1024 * 1024,
  /** Largest front-matter block (the YAML between the `---` lines), in bytes (64 KiB). */
  frontmatterBytes: 64 * 1024,
  /** Most top-level front-matter keys. */
  frontmatterKeys: 1000,
  /** Deepest nesting of flow collections (`[`, `{`) in front-matter. */
  frontmatterDepth: 64,
  /** Most `[` and `{` in one front-matter block, quoted or not: a bound on nesting that no quoting can hide. */
  frontmatterBrackets: 2048,
  /** Widest indentation of a front-matter line, in columns: it bounds block nesting. */
  frontmatterIndent: 256,
  /** Most YAML alias expansions (`*name`) in one front-matter block: yaml's `maxAliasCount`. */
  yamlAliases: 100,
  /** Longest memory path (folder-relative, UTF-8 bytes). */
  pathBytes: 1024,
  /** Longest segment (file or folder name) of a memory path, in UTF-8 bytes: NAME_MAX of most filesystems. */
  segmentBytes: 255,
} as const;

const KIB = 1024;

/** `1 MiB`, `64 KiB`, `300 bytes`: a size as the limits are stated. */
export function formatBytes(bytes: number): string {
  if (bytes >= KIB * KIB && bytes % (KIB * KIB) === 0) return `${bytes / (KIB * KIB)} MiB`;
  if (bytes >= KIB && bytes % KIB === 0) return `${bytes / KIB} KiB`;
  if (bytes >= KIB * KIB) return `${(bytes / (KIB * KIB)).toFixed(1)} MiB`;
  if (bytes >= KIB) return `${(bytes / KIB).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

function limitError(code: "PARSE_ERROR" | "INVALID_INPUT" | "INVALID_PATH", message: string, data: Record<string, unknown>): ReverieError {
  return new ReverieError(code, message, { ...data, reason: "limit" });
}

/**
 * Refuses a memory file larger than {@link LIMITS.fileBytes}, before it is read or parsed.
 * `code` is `PARSE_ERROR` for a file found in the folder, `INVALID_INPUT` for content being written.
 */
export function assertFileSize(path: string, bytes: number, code: "PARSE_ERROR" | "INVALID_INPUT" = "PARSE_ERROR"): void {
  if (bytes <= LIMITS.fileBytes) return;
  const what = code === "PARSE_ERROR" ? "is" : "would be";
  throw limitError(
    code,
    `${path}:1: the file ${what} ${formatBytes(bytes)}, over the ${formatBytes(LIMITS.fileBytes)} limit for a memory file. Split it into smaller memories${code === "PARSE_ERROR" ? " (it was not read)" : "; nothing was written"}.`,
    { path, line: 1, limit: LIMITS.fileBytes, size: bytes },
  );
}

/** The UTF-8 length of `text` without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Checks a front-matter block in one linear pass before YAML parses it: its size, its number of
 * top-level keys, its flow nesting and its indentation. Each error names the line where the
 * limit is crossed (`line` counts from the file's first line, the opening `---`).
 */
export function assertFrontmatterWithinLimits(path: string, yaml: string): void {
  const bytes = utf8Length(yaml);
  if (bytes > LIMITS.frontmatterBytes) {
    throw limitError(
      "PARSE_ERROR",
      `${path}:2: front-matter is ${formatBytes(bytes)}, over the ${formatBytes(LIMITS.frontmatterBytes)} limit; it was not parsed. Move long text into the body, below the closing '---'.`,
      { path, line: 2, limit: LIMITS.frontmatterBytes, size: bytes },
    );
  }
  let keys = 0;
  let depth = 0;
  let line = 2;
  let quote: '"' | "'" | null = null;
  let lineStart = true;
  let indent = 0;
  // The last character that is not a space on this line, outside quotes: a quote opens a
  // quoted scalar only where a value can start (`it's` in a plain scalar is not one).
  let previous = "\n";
  // Every '[' and '{', quoted or not: the depth counted below follows quotes as YAML would in
  // the usual cases, and this count bounds it whatever the quoting (depth <= brackets).
  let brackets = 0;
  for (let i = 0; i < yaml.length; i++) {
    const c = yaml[i]!;
    if (c === "\n") {
      line++;
      lineStart = true;
      indent = 0;
      previous = "\n";
      continue;
    }
    if ((c === "[" || c === "{") && ++brackets > LIMITS.frontmatterBrackets) {
      throw limitError(
        "PARSE_ERROR",
        `${path}:${line}: front-matter has more than ${LIMITS.frontmatterBrackets} '[' and '{', the limit; it was not parsed. Write lists one item per line ('- item').`,
        { path, line, limit: LIMITS.frontmatterBrackets },
      );
    }
    if (quote !== null) {
      if (quote === '"' && c === "\\" && yaml[i + 1] !== "\n") i++;
      else if (quote === "'" && c === "'" && yaml[i + 1] === "'") i++;
      else if (c === quote) {
        quote = null;
        previous = c;
      }
      continue;
    }
    if (c === " " || c === "\t") {
      if (lineStart && ++indent > LIMITS.frontmatterIndent) {
        throw limitError(
          "PARSE_ERROR",
          `${path}:${line}: front-matter is indented more than ${LIMITS.frontmatterIndent} columns (the limit on nesting); it was not parsed. Flatten the YAML.`,
          { path, line, limit: LIMITS.frontmatterIndent },
        );
      }
      continue;
    }
    if (lineStart) {
      lineStart = false;
      // A top-level entry starts in column 0 with something other than a comment, a list dash or
      // a document marker (a quoted or flow value continued in column 0 counts too: the count
      // may only be too high, never too low).
      if (indent === 0 && c !== "#" && c !== "-" && c !== "." && ++keys > LIMITS.frontmatterKeys) {
        throw limitError(
          "PARSE_ERROR",
          `${path}:${line}: front-matter has more than ${LIMITS.frontmatterKeys} keys, the limit; it was not parsed. Keep front-matter to a few fields (id, title, type, tags, …) and put the rest in the body.`,
          { path, line, limit: LIMITS.frontmatterKeys },
        );
      }
    }
    if (c === "#" && (i === 0 || yaml[i - 1] === " " || yaml[i - 1] === "\t" || yaml[i - 1] === "\n")) {
      while (i + 1 < yaml.length && yaml[i + 1] !== "\n") i++;
      continue;
    }
    if ((c === '"' || c === "'") && VALUE_START.has(previous)) quote = c;
    else if (c === "[" || c === "{") {
      if (++depth > LIMITS.frontmatterDepth) {
        throw limitError(
          "PARSE_ERROR",
          `${path}:${line}: front-matter nests '[' or '{' more than ${LIMITS.frontmatterDepth} levels deep, the limit; it was not parsed. Flatten the YAML.`,
          { path, line, limit: LIMITS.frontmatterDepth },
        );
      }
    } else if ((c === "]" || c === "}") && depth > 0) depth--;
    previous = c;
  }
}

/** Characters after which a YAML value (and so a quoted scalar) can start. */
const VALUE_START = new Set(["\n", ":", "-", "?", "[", "{", ",", "!", "&"]);

/** A YAML error from expanding too many aliases (`maxAliasCount`), as a located `PARSE_ERROR`. */
export function aliasLimitError(path: string, line: number): ReverieError {
  return limitError(
    "PARSE_ERROR",
    `${path}:${line}: front-matter expands YAML aliases (*name) more than ${LIMITS.yamlAliases} times, the limit (this is how an "alias bomb" blows up memory); it was not loaded. Write the values out instead of using aliases.`,
    { path, line, limit: LIMITS.yamlAliases },
  );
}

/**
 * Refuses a memory path longer than {@link LIMITS.pathBytes}, or with a segment longer than
 * {@link LIMITS.segmentBytes}, before any file system call sees it (which would fail with
 * ENAMETOOLONG).
 */
export function assertPathLength(path: string, what = "path"): void {
  const bytes = utf8Length(path);
  if (bytes > LIMITS.pathBytes) {
    throw limitError(
      "INVALID_PATH",
      `Invalid ${what} ${truncateForMessage(path)}: it is ${bytes} bytes long, over the ${LIMITS.pathBytes}-byte limit for a memory path. Use shorter folder and file names.`,
      { path, limit: LIMITS.pathBytes, size: bytes },
    );
  }
  for (const segment of path.split("/")) {
    const length = utf8Length(segment);
    if (length > LIMITS.segmentBytes) {
      throw limitError(
        "INVALID_PATH",
        `Invalid ${what} ${truncateForMessage(path)}: the name ${truncateForMessage(segment, 40)} is ${length} bytes long, over the ${LIMITS.segmentBytes}-byte limit for a file or folder name. Use a shorter name.`,
        { path, limit: LIMITS.segmentBytes, size: length },
      );
    }
  }
}
