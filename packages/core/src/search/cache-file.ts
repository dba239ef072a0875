import { readFile } from "node:fs/promises";
import type { EncodedIndex } from "./index-codec.js";
import { isMissing } from "./scan.js";

/**
 * Bump whenever the indexed fields, the stored fields or the tokenizer change: a cache written by
 * another version is then rebuilt instead of answering with stale terms.
 */
export const SEARCH_CACHE_VERSION = 2;

const FORMAT = "reverie-search-index";

/** What the index remembers about one memory file to decide, on the next open, whether to re-read it. */
export interface ManifestEntry {
  mtimeMs: number;
  size: number;
  /** Content hash of the indexed bytes; `""` when unknown (a doc upserted without its stamp). */
  sha256: string;
  /**
   * The file was stamped within a timestamp tick of being modified, so a later same-size write
   * could carry the same mtime (as git's "racily clean" entries): re-hash it on the next check.
   */
  racy: boolean;
  /** Why the loader could not parse the file; it is then indexed by path and raw text. */
  problem?: string;
}

/** The JSON document stored in the cache file. */
export interface SearchCache {
  format: typeof FORMAT;
  version: number;
  namespace: string;
  files: Record<string, ManifestEntry>;
  index: EncodedIndex;
}

/** Why a cache could not be used; `loaded` when it was. */
export type CacheStatus = "loaded" | "missing" | "corrupt" | "incompatible";

/** Serializes the manifest and the encoded minisearch index into the cache file's text. */
export function serializeCache(namespace: string, files: ReadonlyMap<string, ManifestEntry>, index: EncodedIndex): string {
  const cache: SearchCache = { format: FORMAT, version: SEARCH_CACHE_VERSION, namespace, files: Object.fromEntries(files), index };
  return JSON.stringify(cache);
}

/** Reads the cache file; anything unreadable or foreign is reported, never thrown, since the cache is derived state. */
export async function readCache(
  cacheFile: string,
  namespace: string,
): Promise<{ status: "loaded"; cache: SearchCache } | { status: Exclude<CacheStatus, "loaded"> }> {
  let text: string;
  try {
    text = await readFile(cacheFile, "utf8");
  } catch (error) {
    // An unreadable cache (permissions, a directory in its place) costs a rebuild, not the search.
    return { status: isMissing(error) ? "missing" : "corrupt" };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: "corrupt" };
  }
  if (!isRecord(parsed) || parsed.format !== FORMAT) return { status: "corrupt" };
  if (parsed.version !== SEARCH_CACHE_VERSION || parsed.namespace !== namespace) return { status: "incompatible" };
  if (!isRecord(parsed.files) || !isRecord(parsed.index) || !isRecord(parsed.index.meta)) return { status: "corrupt" };
  for (const entry of Object.values(parsed.files)) {
    if (!isManifestEntry(entry)) return { status: "corrupt" };
  }
  return { status: "loaded", cache: parsed as unknown as SearchCache };
}

function isManifestEntry(value: unknown): value is ManifestEntry {
  return (
    isRecord(value) &&
    typeof value.mtimeMs === "number" &&
    typeof value.size === "number" &&
    typeof value.sha256 === "string" &&
    typeof value.racy === "boolean" &&
    (value.problem === undefined || typeof value.problem === "string")
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
