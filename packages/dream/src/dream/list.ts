import { openMemory } from "@reverie/core";
import { listDreamIds, readDream, type DreamRecord } from "./record.js";

/** Every dream of a memory, newest first (crashed runs already marked failed). */
export async function listDreams(memoryDir: string): Promise<DreamRecord[]> {
  const memory = await openMemory(memoryDir);
  const records: DreamRecord[] = [];
  for (const id of await listDreamIds(memory.dir)) records.push(await readDream(memory.dir, id));
  return records;
}

/** The newest dream of a memory (the one `dream show` without an id shows), or null when there is none. */
export async function newestDream(memoryDir: string): Promise<DreamRecord | null> {
  const memory = await openMemory(memoryDir);
  const [id] = await listDreamIds(memory.dir);
  return id === undefined ? null : readDream(memory.dir, id);
}
