/**
 * The commands of Anthropic's client-side memory tool (`memory_20250818`), declared here with
 * the same shape as `@anthropic-ai/sdk`'s `BetaMemoryTool20250818Command` so that core does not
 * depend on the SDK. The `claude-agent` example proves the two are interchangeable.
 */
export interface MemoryToolViewCommand {
  command: "view";
  /** `/memories` or a path under it. */
  path: string;
  /** `[first, last]` line numbers, 1-based and inclusive; `last` may be `-1` for the end of the file. */
  view_range?: Array<number>;
}

export interface MemoryToolCreateCommand {
  command: "create";
  path: string;
  file_text: string;
}

export interface MemoryToolStrReplaceCommand {
  command: "str_replace";
  path: string;
  old_str: string;
  new_str: string;
}

export interface MemoryToolInsertCommand {
  command: "insert";
  path: string;
  /** Insert after this many lines (0 = at the top). */
  insert_line: number;
  insert_text: string;
}

export interface MemoryToolDeleteCommand {
  command: "delete";
  path: string;
}

export interface MemoryToolRenameCommand {
  command: "rename";
  old_path: string;
  new_path: string;
}

export type MemoryToolCommand =
  | MemoryToolViewCommand
  | MemoryToolCreateCommand
  | MemoryToolStrReplaceCommand
  | MemoryToolInsertCommand
  | MemoryToolDeleteCommand
  | MemoryToolRenameCommand;

/**
 * One handler per memory-tool command, each answering with the tool's documented result text
 * and throwing (with the documented message) on failure — the shape of the SDK's
 * `MemoryToolHandlers`, so the object can be passed to `betaMemoryTool()` as it is.
 */
export type MemoryToolHandlers = {
  [K in MemoryToolCommand["command"]]: (command: Extract<MemoryToolCommand, { command: K }>) => Promise<string>;
};
