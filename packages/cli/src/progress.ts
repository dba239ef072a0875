import type { DreamProgress } from "@reverie/dream";
import type { CommandContext } from "./context.js";

const BAR_WIDTH = 20;

/**
 * Shows a dream's progress on stderr: a bar redrawn in place on a terminal, one plain line per
 * step otherwise (CI logs, pipes). stdout stays free for the result and --json.
 */
export function progressReporter(ctx: CommandContext): { onProgress(event: DreamProgress): void; finish(): void } {
  const tty = ctx.stderr.isTTY === true;
  let last = "";
  let drawn = false;
  return {
    onProgress(event) {
      if (!tty) {
        const line = `${event.stage}: ${event.message}`;
        if (line !== last) ctx.stderr.write(`${line}\n`);
        last = line;
        return;
      }
      const share = event.total ? Math.min(1, (event.done ?? 0) / event.total) : event.stage === "done" ? 1 : 0;
      const filled = Math.round(share * BAR_WIDTH);
      const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
      const count = event.total ? ` ${event.done ?? 0}/${event.total}` : "";
      ctx.stderr.write(`\r\x1b[2K${bar} ${event.stage}${count} ${event.message}`.slice(0, 200));
      drawn = true;
    },
    finish() {
      if (drawn) ctx.stderr.write("\r\x1b[2K");
    },
  };
}
