/** Naming of the memories a dream writes: readable slugs, never an existing or already proposed path. */

/** The first `maxWords` words of `text` as a lowercase file-name slug ("pattern" when nothing is left). */
export function slugify(text: string, maxWords = 6, fallback = "pattern"): string {
  const slug = text
    .toLowerCase()
    .replace(/<[a-z:-]+>/g, " ")
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter((w) => w !== "")
    .slice(0, maxWords)
    .join("-");
  return slug === "" ? fallback : slug;
}

/** A free path under `folder`, never one of the memory's paths or one already proposed (`taken` holds lowercase paths). */
export function freePath(folder: string, slug: string, taken: Set<string>): string {
  let path = `${folder}/${slug}.md`;
  for (let i = 2; taken.has(path.toLowerCase()); i++) path = `${folder}/${slug}-${i}.md`;
  taken.add(path.toLowerCase());
  return path;
}

/** `text` on one line, cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max = 160): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
