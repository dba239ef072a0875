import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { initMemory, listMarkdownFiles, parseNote, runGit } from "@reverie/core";
import { serializeSession, type Session } from "@reverie/dream";
import type { ScenarioMemory } from "../generator/scenario.js";
import { finalMemory, type FinalMemory } from "../metrics/final-memory.js";
import type { BeforeDream } from "../metrics/quality-metrics.js";

const AUTHOR = { GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@reverie.invalid", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@reverie.invalid" };

/** A memory folder holding a scenario's starting memories (one commit), and its sessions as normalized files beside it. */
export interface ScenarioFolder {
  memoryDir: string;
  sessionsDir: string;
  before: BeforeDream;
}

/**
 * Writes memories into a new memory folder under `root` with a single commit (the bench
 * measures dreams, not thousands of write commits) and sessions as normalized JSONL.
 */
export async function writeScenarioFolder(root: string, memories: readonly ScenarioMemory[], sessions: readonly Session[]): Promise<ScenarioFolder> {
  const memoryDir = join(root, "memory");
  const sessionsDir = join(root, "sessions");
  const memory = await initMemory(memoryDir);
  await memory.close();
  for (const m of memories) {
    const file = join(memoryDir, m.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, m.content);
  }
  await runGit(memoryDir, ["add", "-A"]);
  await runGit(memoryDir, ["commit", "-q", "--no-verify", "-m", "bench: starting memories"], { env: AUTHOR });
  await mkdir(sessionsDir, { recursive: true });
  await Promise.all(sessions.map((s) => writeFile(join(sessionsDir, `${s.header.id}.jsonl`), serializeSession(s))));
  const paths = await listMarkdownFiles(memoryDir);
  return { memoryDir, sessionsDir, before: { ids: new Set(memories.map((m) => m.id)), paths: new Set(paths) } };
}

/** Every memory file of the folder as it is on disk now (after adopt). */
export async function readFinalFolder(memoryDir: string): Promise<FinalMemory[]> {
  const paths = await listMarkdownFiles(memoryDir);
  return Promise.all(paths.map(async (p) => finalMemory(parseNote(p, await readFile(join(memoryDir, p), "utf8")))));
}
