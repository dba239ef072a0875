/**
 * Type-level proof, checked by `tsc -b`, that core's structural memory-tool types are the SDK's:
 * the commands are identical both ways, and `memoryToolHandlers(...)` is a `MemoryToolHandlers`
 * of the SDK. If the SDK changes the tool's shape, this file stops compiling.
 */
import type { MemoryToolHandlers as SdkMemoryToolHandlers } from "@anthropic-ai/sdk/helpers/beta/memory";
import type { BetaMemoryTool20250818Command } from "@anthropic-ai/sdk/resources/beta/messages/messages";
import type { MemoryToolCommand, MemoryToolHandlers, memoryToolHandlers } from "@reverie/core";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assignable<From, To> = [From] extends [To] ? true : false;

/** Same command names and arguments as the SDK's `memory_20250818` commands. */
export const commandsAreTheSdks: Equal<MemoryToolCommand, BetaMemoryTool20250818Command> = true;
/** Core's handler type can be passed wherever the SDK wants its `MemoryToolHandlers`. */
export const handlersFitTheSdk: Assignable<MemoryToolHandlers, SdkMemoryToolHandlers> = true;
/** The same command names are handled, none missing and none extra. */
export const sameCommands: Equal<keyof MemoryToolHandlers, keyof SdkMemoryToolHandlers> = true;
/** And what `memoryToolHandlers` returns is one. */
export const factoryFitsTheSdk: Assignable<ReturnType<typeof memoryToolHandlers>, SdkMemoryToolHandlers> = true;
