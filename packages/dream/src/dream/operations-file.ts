import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ReverieError, reverieTempDir, writeFileAtomic } from "@reverie/core";
import type { DreamOperation } from "../consolidate/operations.js";
import { runsDir } from "./record.js";

/**
 * What is needed to write a dream's operations again, e.g. without the ones a reviewer skips:
 * the operations themselves, the dream's time, and the ids given to new memories (in the
 * order the pattern and learn operations asked for them), so adopted files match the reviewed branch.
 */
export interface SavedOperations {
  now: string;
  operations: DreamOperation[];
  patternIds: string[];
}

function operationsPath(memoryDir: string, id: string): string {
  return join(runsDir(memoryDir), `${id}.ops.json`);
}

export async function saveOperations(memoryDir: string, id: string, saved: SavedOperations): Promise<void> {
  await writeFileAtomic(operationsPath(memoryDir, id), `${JSON.stringify(saved)}\n`, { tempDir: reverieTempDir(memoryDir), kind: "operations" });
}

export async function loadOperations(memoryDir: string, id: string): Promise<SavedOperations> {
  try {
    return JSON.parse(await readFile(operationsPath(memoryDir, id), "utf8")) as SavedOperations;
  } catch {
    throw new ReverieError("NOT_FOUND", `The operations of dream ${id} are missing (${operationsPath(memoryDir, id)}); adopt it whole or run the dream again.`, { id });
  }
}
