import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { ReverieError } from "@reverie/core";

/** One line of a text file: its 1-based number and its text without the line break. */
export interface RawLine {
  line: number;
  text: string;
}

/** A streaming line source that hashes the bytes it reads. */
export interface LineSource {
  lines: AsyncIterable<RawLine>;
  /** Lowercase hex SHA-256 of every byte read; complete once `lines` is exhausted. */
  sha256(): string;
  /** Number of bytes read so far. */
  bytes(): number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Reads a file line by line over a stream, so memory stays flat whatever the file size (only
 * the current line is held). The SHA-256 of the bytes is computed on the same pass.
 * `\r\n` and `\n` both end a line; a last line without a break is still yielded.
 */
export function readLines(file: string, signal?: AbortSignal): LineSource {
  const hash = createHash("sha256");
  let total = 0;
  let digest: string | undefined;

  async function* lines(): AsyncGenerator<RawLine> {
    const stream = createReadStream(file, { highWaterMark: 1 << 16 });
    let pending: Buffer[] = [];
    let number = 0;
    const decode = (parts: Buffer[]): string => {
      let buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (buf.length > 0 && buf[buf.length - 1] === CR) buf = buf.subarray(0, buf.length - 1);
      return buf.toString("utf8");
    };
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (signal?.aborted) throw canceled(file);
        hash.update(chunk);
        total += chunk.length;
        let start = 0;
        for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
          pending.push(chunk.subarray(start, i));
          number += 1;
          const text = decode(pending);
          pending = [];
          start = i + 1;
          yield { line: number, text };
        }
        if (start < chunk.length) pending.push(chunk.subarray(start));
      }
      if (pending.length > 0) {
        number += 1;
        yield { line: number, text: decode(pending) };
      }
      digest = hash.digest("hex");
    } finally {
      stream.destroy();
    }
  }

  return {
    lines: lines(),
    sha256() {
      if (digest === undefined) throw new ReverieError("INTERNAL", `sha256 of ${file} asked for before the file was read to its end`);
      return digest;
    },
    bytes: () => total,
  };
}

/** The error raised when an AbortSignal stops an import. */
export function canceled(file?: string): ReverieError {
  return new ReverieError("CANCELED", file ? `Import canceled while reading ${file}` : "Import canceled", file ? { file } : {});
}

/**
 * Splits text that holds several JSON values written back to back with no line break between
 * them (`{…}{…}`, seen in real Claude Code files) into the text of each value. Returns `null`
 * when the text is not such a run of complete top-level objects/arrays.
 */
export function splitConcatenatedJson(text: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      if (depth === 0) return null;
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) start = i;
      depth += 1;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
      if (depth < 0) return null;
      if (depth === 0) parts.push(text.slice(start, i + 1));
    } else if (depth === 0 && !(c === 0x20 || c === 0x09 || c === 0x0d)) {
      return null;
    }
  }
  if (depth !== 0 || inString || parts.length < 2) return null;
  return parts;
}
