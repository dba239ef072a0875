import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A ULID (26 chars, Crockford base32): 48 bits of milliseconds then 80 random bits, so ids
 * sort by creation time, which is what `reverie dream list` and file names rely on.
 */
export function ulid(now: number = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = "";
  for (let i = 0; i < 16; i++) rand += CROCKFORD[bytes[i]! % 32];
  return time + rand;
}

/** Prefixed ids as in DESIGN: `mem_…` for memories, `drm_…` for dreams. */
export function newId(prefix: "mem" | "drm" | "ses", now?: number): string {
  return `${prefix}_${ulid(now)}`;
}
