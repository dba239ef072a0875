import { ReverieError, isContentHash } from "@reverie/core";
import type { CommandContext } from "../context.js";

export interface MutationFlags {
  expectHash?: string;
  agent?: string;
  session?: string;
  allowSecrets?: boolean;
}

/** Turns the shared --expect-hash/--agent/--session flags into store options, checking the hash's form. */
export function mutationOptions(ctx: CommandContext, flags: MutationFlags): { expectHash?: string | null; agent?: string; session?: string; allowSecrets?: boolean } {
  const out: { expectHash?: string | null; agent?: string; session?: string; allowSecrets?: boolean } = {};
  if (flags.allowSecrets === true) out.allowSecrets = true;
  if (flags.expectHash !== undefined) {
    if (flags.expectHash === "none") out.expectHash = null;
    else if (isContentHash(flags.expectHash)) out.expectHash = flags.expectHash;
    else {
      throw new ReverieError(
        "INVALID_INPUT",
        `--expect-hash ${JSON.stringify(flags.expectHash)} is not a sha256: use the 64 lowercase hex digits printed by 'reverie read <path> --json' (or 'none' for a file that must not exist yet).`,
        { expectHash: flags.expectHash },
      );
    }
  }
  const agent = flags.agent ?? ctx.agent;
  if (agent) out.agent = agent;
  if (flags.session) out.session = flags.session;
  return out;
}
