import { isRecord, str } from "./context.js";
import { MemoryCommands } from "./types.js";
import type { MemoryOperation } from "./types.js";

const COMMANDS = new Set<MemoryOperation["command"]>(MemoryCommands);
/** MCP memory servers expose one tool per command, possibly namespaced (`mcp__server__memory_create`). */
const MCP_NAME = new RegExp(`(?:^|__|\\.|/)memory_(${MemoryCommands.join("|")})$`);

/**
 * Recognises a call of Anthropic's memory tool (`memory_20250818`, tool name `memory`, with a
 * `command` input) or of an MCP `memory_<command>` tool, and returns the memory operation it
 * performs; `undefined` for any other tool call.
 */
export function recognizeMemoryOperation(name: string, input: unknown): MemoryOperation | undefined {
  const fields = isRecord(input) ? input : {};
  let command: string | undefined;
  if (name === "memory") command = str(fields.command);
  else command = MCP_NAME.exec(name)?.[1];
  if (command === undefined || !COMMANDS.has(command as MemoryOperation["command"])) return undefined;
  const op: MemoryOperation = { command: command as MemoryOperation["command"] };
  const path = str(fields.path) ?? str(fields.old_path);
  if (path !== undefined) op.path = path;
  const newPath = str(fields.new_path);
  if (newPath !== undefined) op.newPath = newPath;
  const text = typeof fields.file_text === "string" ? fields.file_text : typeof fields.new_str === "string" ? fields.new_str : typeof fields.insert_text === "string" ? fields.insert_text : undefined;
  if (text !== undefined) op.text = text;
  return op;
}
