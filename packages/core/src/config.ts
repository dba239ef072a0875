import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { ReverieError } from "./errors.js";
import { normalizeMemoryPath } from "./paths.js";

export const MountAccess = ["read_only", "read_write"] as const;
export type MountAccess = (typeof MountAccess)[number];

/** Another folder mounted into this memory's namespace (DESIGN §2, scopes). */
export interface MountConfig {
  /** Where its files appear, e.g. `org` → `org/<file>.md`. */
  path: string;
  /** The folder on disk, absolute (resolved against the memory folder). */
  dir: string;
  access: MountAccess;
}

/** The memory types a memory's front-matter `type` may name when the config lists none (DESIGN §2, plus dreams' `workflow`). */
export const DEFAULT_MEMORY_TYPES: readonly string[] = ["fact", "preference", "playbook", "lesson", "note", "workflow"];

/** `.reverie/config.yaml`, validated. Unknown keys are allowed (newer versions may add some). */
export interface MemoryConfig {
  store: string;
  /** The values a memory's `type` may take; writes refuse any other, doctor reports them. */
  types: string[];
  dream: { provider: string; model?: string; lossCap: number };
  mounts: MountConfig[];
}

export const CONFIG_PATH = ".reverie/config.yaml";

/**
 * Reads and validates the memory's config; every problem names the config file and line.
 * @throws ReverieError `NOT_A_MEMORY` when the file is missing, `PARSE_ERROR` when it is invalid.
 */
export async function loadConfig(memoryDir: string): Promise<MemoryConfig> {
  const file = join(memoryDir, CONFIG_PATH);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new ReverieError(
      "NOT_A_MEMORY",
      `${memoryDir} is not a reverie memory folder (no ${CONFIG_PATH}). Create one with: reverie init ${memoryDir}`,
      { dir: memoryDir },
    );
  }
  const doc = parseDocument(text);
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : text.slice(0, offset).split("\n").length);
  const fail = (message: string, offset?: number): never => {
    const line = lineOf(offset);
    throw new ReverieError("PARSE_ERROR", `${file}:${line}: ${message}`, { path: file, line });
  };
  const yamlError = doc.errors[0];
  if (yamlError) fail(`not valid YAML: ${yamlError.message.split("\n")[0]}`, yamlError.pos[0]);
  const raw = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (typeof raw !== "object" || Array.isArray(raw)) fail("expected a mapping of keys such as 'store: memory'");

  const offsetOf = (...path: (string | number)[]) => (doc.getIn(path, true) as { range?: [number] } | undefined)?.range?.[0];
  const dream = (raw.dream ?? {}) as Record<string, unknown>;
  const lossCap = dream.loss_cap ?? 0.25;
  if (typeof lossCap !== "number" || lossCap < 0 || lossCap > 1) {
    fail(`dream.loss_cap must be a number between 0 and 1 (e.g. 0.25), got ${JSON.stringify(lossCap)}`, offsetOf("dream", "loss_cap"));
  }
  const mountsRaw = raw.mounts ?? [];
  if (!Array.isArray(mountsRaw)) fail("mounts must be a list of { path, dir, access }", offsetOf("mounts"));
  const mounts = (mountsRaw as unknown[]).map((entry, i): MountConfig => {
    const m = (entry ?? {}) as Record<string, unknown>;
    const at = offsetOf("mounts", i);
    if (typeof m.path !== "string" || typeof m.dir !== "string") {
      fail("each mount needs 'path' (where it appears, e.g. org) and 'dir' (the folder, e.g. ../org-memory)", at);
    }
    const access = m.access ?? "read_only";
    if (!MountAccess.includes(access as MountAccess)) fail(`mount access must be read_only or read_write, got ${JSON.stringify(access)}`, at);
    let path: string;
    try {
      path = normalizeMemoryPath(m.path as string, "mount path");
    } catch (error) {
      return fail((error as Error).message, at);
    }
    return { path, dir: resolve(memoryDir, m.dir as string), access: access as MountAccess };
  });
  const seen = new Set<string>();
  for (const mount of mounts) {
    if ([...seen].some((p) => p === mount.path || p.startsWith(`${mount.path}/`) || mount.path.startsWith(`${p}/`))) {
      fail(`mount paths overlap: ${mount.path}`, offsetOf("mounts"));
    }
    seen.add(mount.path);
  }
  const typesRaw = raw.types ?? DEFAULT_MEMORY_TYPES;
  if (!Array.isArray(typesRaw) || typesRaw.length === 0 || !typesRaw.every((t) => typeof t === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(t))) {
    fail(`types must be a list of memory type names, e.g. [${DEFAULT_MEMORY_TYPES.join(", ")}]`, offsetOf("types"));
  }
  const provider = typeof dream.provider === "string" ? dream.provider : "offline";
  return {
    store: typeof raw.store === "string" ? raw.store : "memory",
    types: [...new Set(typesRaw as string[])],
    dream: { provider, ...(typeof dream.model === "string" ? { model: dream.model } : {}), lossCap: lossCap as number },
    mounts,
  };
}
