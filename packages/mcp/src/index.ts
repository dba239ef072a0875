export { createReverieServer } from "./server.js";
export type { ReverieServer, ReverieServerOptions } from "./server.js";
export { main } from "./main.js";
export type { McpMainIo } from "./main.js";
export { toolResult, errorJSON } from "./tool-result.js";
export type { ToolContext, ToolDefinition } from "./context.js";
export { TOOLS } from "./tools/index.js";
