import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { explainOsError, isReverieError, ReverieError, type ReverieErrorJSON } from "@reverie/core";

/** The JSON an MCP client gets for a failed call: the error as `ReverieError.toJSON()` gives it. */
export function errorJSON(thrown: unknown): ReverieErrorJSON {
  const error = explainOsError(thrown, "finish the call", "what it changed before the failure is kept; reverie doctor shows anything left half-done");
  if (isReverieError(error)) return error.toJSON();
  return new ReverieError("INTERNAL", `Unexpected error: ${error instanceof Error ? error.message : String(error)}. This is a bug in reverie; please report it.`, {
    name: error instanceof Error ? error.name : typeof error,
  }).toJSON();
}

/**
 * The one adapter between reverie and MCP results: a tool's text (or JSON value) becomes a text
 * result; any thrown error becomes an `isError` result whose text is `{"error": {code, message, data}}`,
 * so a client branches on `code` exactly as the CLI's `--json` output lets it.
 */
export async function toolResult(run: () => Promise<string | object>): Promise<CallToolResult> {
  try {
    const value = await run();
    return { content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value, null, 2) }] };
  } catch (error) {
    return { isError: true, content: [{ type: "text", text: JSON.stringify({ error: errorJSON(error) }) }] };
  }
}
