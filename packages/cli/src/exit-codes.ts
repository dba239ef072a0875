import { isReverieError, type ErrorCode } from "@reverie/core";

/** DESIGN §5: 0 ok, 1 user error, 2 conflict or gate failed, 3 internal. */
export const EXIT = { ok: 0, user: 1, conflict: 2, internal: 3 } as const;

const CONFLICT_CODES: ReadonlySet<ErrorCode> = new Set(["CONFLICT", "GATE_FAILED"]);
const INTERNAL_CODES: ReadonlySet<ErrorCode> = new Set(["INTERNAL", "GIT_FAILED"]);

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (!isReverieError(error)) return EXIT.internal;
  if (CONFLICT_CODES.has(error.code)) return EXIT.conflict;
  // A hook or signing that refuses a commit is the user's repository saying no, not a bug.
  if (error.code === "GIT_FAILED" && error.data.refused === true) return EXIT.user;
  if (INTERNAL_CODES.has(error.code)) return EXIT.internal;
  return EXIT.user;
}
