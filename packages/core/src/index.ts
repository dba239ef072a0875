export { ReverieError, ErrorCodes, isReverieError, truncateForMessage } from "./errors.js";
export type { ErrorCode, ReverieErrorJSON } from "./errors.js";
export { ulid, newId } from "./ids.js";
export { contentHash, isContentHash } from "./hash.js";
export { writeFileAtomic } from "./fs/atomic-write.js";
