/**
 * Every error reverie raises on purpose. Callers branch on `code`, never on `instanceof`
 * (a second copy of the package would break `instanceof`).
 */
export const ErrorCodes = [
  /** A path is outside the memory folder, absolute, or has forbidden characters. */
  "INVALID_PATH",
  /** An argument or input value is malformed (bad flag, bad hash, bad YAML). */
  "INVALID_INPUT",
  /** A file could not be parsed (front-matter, transcript line). `data` names file and line. */
  "PARSE_ERROR",
  /** The thing asked for does not exist. */
  "NOT_FOUND",
  /** The thing to create already exists. */
  "ALREADY_EXISTS",
  /** An expected content hash did not match; nothing was written. */
  "CONFLICT",
  /** A write was aimed at a read-only mount. */
  "READ_ONLY",
  /** The folder is missing or is not a reverie memory folder. */
  "NOT_A_MEMORY",
  /** The git executable could not be found. */
  "GIT_NOT_FOUND",
  /** A git command failed. */
  "GIT_FAILED",
  /** The memory (or its git repo) is locked by another process. */
  "LOCKED",
  /**
   * A write would put a credential into a memory (its content, its file name, or the commit's
   * attribution). `data` names the file, the kind and the line; `allowSecrets` overrides.
   */
  "SECRET_DETECTED",
  /**
   * The operating system refused a file operation: disk full, permission denied, read-only file
   * system, name too long. `data.errno` is the cause and `data.kept` what was left as it was.
   */
  "IO_ERROR",
  /** A dream gate failed. */
  "GATE_FAILED",
  /** The model provider failed. `data.retryable` says whether trying again may help. */
  "MODEL_ERROR",
  /** The operation was canceled through an AbortSignal. */
  "CANCELED",
  /** A broken invariant: a bug in reverie. */
  "INTERNAL",
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export interface ReverieErrorJSON {
  code: ErrorCode;
  message: string;
  data: Record<string, unknown>;
}

/** The one error class of reverie: a stable `code`, structured `data`, and an optional `cause`. */
export class ReverieError extends Error {
  override readonly name = "ReverieError";
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.data = data;
  }

  toJSON(): ReverieErrorJSON {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/** True when `value` is a reverie error, optionally of one of the given codes (works across package copies). */
export function isReverieError(value: unknown, ...codes: ErrorCode[]): value is ReverieError {
  if (typeof value !== "object" || value === null) return false;
  const code = (value as { code?: unknown }).code;
  if ((value as { name?: unknown }).name !== "ReverieError" || typeof code !== "string") return false;
  return codes.length === 0 || codes.includes(code as ErrorCode);
}

/** Shortens user input for error messages so a 1 MB paste does not become a 1 MB message. */
export function truncateForMessage(input: string, max = 80): string {
  const oneLine = JSON.stringify(input);
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…"`;
}
