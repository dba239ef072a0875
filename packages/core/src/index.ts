export { ReverieError, ErrorCodes, isReverieError, truncateForMessage } from "./errors.js";
export type { ErrorCode, ReverieErrorJSON } from "./errors.js";
export { ulid, newId } from "./ids.js";
export { contentHash, isContentHash } from "./hash.js";
export { writeFileAtomic } from "./fs/atomic-write.js";
export type { Note, MemoryFrontmatter, MemorySource, MemoryVerification, Trust } from "./note/types.js";
export { parseNote, renderNote, updateNote, noteTitle, decodeUtf8 } from "./note/parse.js";
export { splitFrontmatter } from "./note/frontmatter.js";
export type { FrontmatterPatch, FrontmatterSplit } from "./note/frontmatter.js";
