import { open } from "node:fs/promises";
import { assertFileSize } from "../limits.js";

/**
 * Reads a memory file's bytes, refusing one over `LIMITS.fileBytes` by its size before any of
 * it is read (a 10 GB file in a pulled folder costs one `fstat`). `sized: false` reads any size,
 * for deletes and moves, which copy bytes without parsing them.
 * @throws ReverieError `PARSE_ERROR` (`data.reason: "limit"`) for a file over the limit; the OS error otherwise.
 */
export async function readMemoryBytes(abs: string, path: string, sized = true): Promise<Uint8Array> {
  const handle = await open(abs, "r");
  try {
    if (sized) assertFileSize(path, (await handle.stat()).size);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
