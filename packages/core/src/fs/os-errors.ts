import { isReverieError, ReverieError } from "../errors.js";
import { LIMITS } from "../limits.js";

/** The operating-system failures reverie explains instead of calling them a bug, with their cause and fix. */
const CAUSES: Record<string, { cause: string; fix: string }> = {
  ENOSPC: { cause: "the disk is full", fix: "Free some space on that disk and run the command again." },
  EDQUOT: { cause: "the disk quota is used up", fix: "Free some space within your quota and run the command again." },
  EACCES: { cause: "permission denied", fix: "Check the owner and permissions of the memory folder (ls -la); run as the user who owns it, or fix them with chmod/chown." },
  EPERM: { cause: "the operation is not permitted", fix: "Check the owner and permissions of the memory folder, and that the file is not immutable (lsattr)." },
  EROFS: { cause: "the file system is read-only", fix: "Remount it read-write, or move the memory folder to a writable disk." },
  ENAMETOOLONG: {
    cause: "a file name is too long for the file system",
    fix: `Use shorter names (reverie's limit is ${LIMITS.segmentBytes} bytes a name and ${LIMITS.pathBytes} bytes a path), or move the memory folder to a shorter path.`,
  },
  EMFILE: { cause: "too many files are open", fix: "Raise the limit (ulimit -n) or close other programs, then run the command again." },
  ENFILE: { cause: "the system has too many files open", fix: "Close other programs, then run the command again." },
  EIO: { cause: "the disk reported an I/O error", fix: "Check the disk (dmesg) before writing to it again." },
  ELOOP: { cause: "a chain of symbolic links loops", fix: "Remove the looping link." },
};

/** Lines git prints for the same failures (it reports them in words, not errno codes). */
const GIT_CAUSES: Array<[RegExp, string]> = [
  [/No space left on device/i, "ENOSPC"],
  [/Disk quota exceeded/i, "EDQUOT"],
  [/Read-only file system/i, "EROFS"],
  [/Permission denied/i, "EACCES"],
  [/Operation not permitted/i, "EPERM"],
  [/File name too long/i, "ENAMETOOLONG"],
  [/Too many open files/i, "EMFILE"],
  [/Input\/output error/i, "EIO"],
];

/** The errno code of an OS error reverie explains (ENOSPC, EACCES, …), also when git reported it; else `undefined`. */
export function osErrorCode(error: unknown): string | undefined {
  if (isReverieError(error)) {
    if (error.code !== "GIT_FAILED") return undefined;
    const stderr = typeof error.data.stderr === "string" ? error.data.stderr : error.message;
    return GIT_CAUSES.find(([pattern]) => pattern.test(stderr))?.[1];
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code in CAUSES ? code : undefined;
}

/**
 * Turns an OS failure (disk full, permission, read-only, name too long, …) into an `IO_ERROR`
 * that names the cause, the file, what was kept and how to fix it; any other error is returned
 * as it is.
 * @param action what was being done, e.g. "write prefs/pm.md"
 * @param kept what the failure left as it was, e.g. "nothing was written: the folder is as it was"
 */
export function explainOsError(error: unknown, action: string, kept: string): unknown {
  const code = osErrorCode(error);
  if (code === undefined) return error;
  const { cause, fix } = CAUSES[code]!;
  const where = (error as { path?: unknown }).path;
  const file = typeof where === "string" ? ` (${where})` : "";
  return new ReverieError("IO_ERROR", `Could not ${action}: ${cause}${file}, ${code}. ${kept[0]!.toUpperCase()}${kept.slice(1)}. ${fix}`, {
    errno: code,
    ...(typeof where === "string" ? { file: where } : {}),
    action,
    kept,
  }, { cause: error });
}

/** Runs `fn`, explaining an OS failure with {@link explainOsError}. */
export async function explainingOsErrors<T>(action: string, kept: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw explainOsError(error, action, kept);
  }
}

/** A `ReverieError`'s error when `value` is not already one: for readers that report rather than throw. */
export function asReverieError(value: unknown, action: string): ReverieError | null {
  const explained = explainOsError(value, action, "nothing was changed");
  return isReverieError(explained) ? explained : null;
}
