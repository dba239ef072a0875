/**
 * How many `sources` entries reverie keeps on a memory it writes. Front-matter over 64 KiB does
 * not parse (limits), which an uncapped list reaches after about 700 entries; 50 stays far below.
 */
export const MAX_SOURCES = 50;

/** The front-matter key counting the `sources` entries reverie dropped to stay within MAX_SOURCES. */
export const SOURCES_DROPPED_KEY = "sources_dropped";

/**
 * `sources` cut to at most `max` entries: the first (where the memory came from) and the latest
 * `max - 1`, in order. `dropped` is how many were dropped in all: the memory's previous
 * `sources_dropped` (when a non-negative integer) plus those dropped now.
 * @example
 * capSources([a, b, c, d], 1, 3); // { sources: [a, c, d], dropped: 2 }
 */
export function capSources<T>(sources: readonly T[], previouslyDropped: unknown, max = MAX_SOURCES): { sources: T[]; dropped: number } {
  const before = typeof previouslyDropped === "number" && Number.isSafeInteger(previouslyDropped) && previouslyDropped > 0 ? previouslyDropped : 0;
  if (sources.length <= max) return { sources: [...sources], dropped: before };
  const kept = max <= 1 ? sources.slice(0, Math.max(0, max)) : [sources[0]!, ...sources.slice(sources.length - (max - 1))];
  return { sources: kept, dropped: before + sources.length - kept.length };
}
