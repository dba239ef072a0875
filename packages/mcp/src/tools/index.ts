import type { ToolDefinition } from "../context.js";
import { dreamStart } from "./dream-start.js";
import { dreamStatus } from "./dream-status.js";
import { memoryCreate } from "./memory-create.js";
import { memoryDelete } from "./memory-delete.js";
import { memoryHistory } from "./memory-history.js";
import { memoryInsert } from "./memory-insert.js";
import { memoryRename } from "./memory-rename.js";
import { memorySearch } from "./memory-search.js";
import { memoryStrReplace } from "./memory-str-replace.js";
import { memoryView } from "./memory-view.js";

/** Every tool the server offers (DESIGN §5), in the order clients list them. */
export const TOOLS: readonly ToolDefinition[] = [
  memoryView,
  memoryCreate,
  memoryStrReplace,
  memoryInsert,
  memoryDelete,
  memoryRename,
  memorySearch,
  memoryHistory,
  dreamStart,
  dreamStatus,
];
