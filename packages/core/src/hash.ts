import { createHash } from "node:crypto";

/**
 * The content hash of a memory file: lowercase hex SHA-256 of its exact bytes, with no
 * normalization — the same rule as the hosted service's `content_sha256`.
 */
export function contentHash(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True for a well-formed content hash (64 lowercase hex digits). */
export function isContentHash(value: string): boolean {
  return SHA256_HEX.test(value);
}
