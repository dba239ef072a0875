import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { reverieTempDir, writeFileAtomic } from "@reverie/core";
import type { ConsolidateCheckpoint } from "../consolidate/consolidator.js";
import { runsDir } from "./record.js";

/**
 * Finished model answers of a dream, one file each under `.reverie/runs/<id>/checkpoint/`, so
 * `reverie dream --resume <id>` does not pay for them again. Keys are hashed into file names.
 */
export function fileCheckpoint(memoryDir: string, id: string): ConsolidateCheckpoint {
  const dir = join(runsDir(memoryDir), id, "checkpoint");
  const file = (key: string) => join(dir, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`);
  return {
    async get(key) {
      try {
        return JSON.parse(await readFile(file(key), "utf8")) as unknown;
      } catch {
        return undefined;
      }
    },
    async put(key, value) {
      await writeFileAtomic(file(key), JSON.stringify(value), { tempDir: reverieTempDir(memoryDir), kind: "checkpoint" });
    },
  };
}
