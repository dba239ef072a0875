import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { openMemory, ReverieError, writeFileAtomic } from "@reverie/core";
import { note, print, type CommandContext } from "../context.js";
import { renderPage } from "../review/page.js";
import { loadReview } from "../review/review-data.js";
import { startReviewServer } from "../review/server.js";
import { dreamOrNewest } from "./dream-show.js";
import { positiveInt } from "./numbers.js";

interface ReviewFlags {
  port?: string;
  open?: boolean;
  out?: string;
}

/** Opens `url` in the desktop's browser; a machine without one just has the printed address. */
function openBrowser(url: string): void {
  const [command, ...args] = process.platform === "darwin" ? ["open"] : process.platform === "win32" ? ["cmd", "/c", "start", '""'] : ["xdg-open"];
  const child = spawn(command!, [...args, url], { detached: true, stdio: "ignore" });
  child.on("error", () => {});
  child.unref();
}

/**
 * `reverie dream review [id]`: the review page, served on 127.0.0.1 until an adopt or discard
 * from it succeeds or Ctrl-C; with `--out`, written as one static read-only file instead.
 */
export async function run(ctx: CommandContext, id: string | undefined, flags: ReviewFlags): Promise<void> {
  const port = flags.port === undefined ? 0 : positiveInt(flags.port, "--port");
  if (port > 65_535) throw new ReverieError("INVALID_INPUT", `--port must be at most 65535, got ${port}.`, { port });
  const memory = await openMemory(ctx.dir);
  const record = await dreamOrNewest(memory.dir, ctx.dir, id);
  if (flags.out !== undefined) {
    const file = resolve(flags.out);
    const html = renderPage(await loadReview(memory.dir, record, ctx.dir), { live: false, nonce: randomBytes(16).toString("base64url") });
    await writeFileAtomic(file, html);
    print(ctx, `wrote the review of ${record.id} to ${file} (read-only; opens with no network)`, { id: record.id, file });
    return;
  }
  const server = await startReviewServer({ memoryDir: memory.dir, dirArg: ctx.dir, id: record.id, port, onNotice: (line) => note(ctx, line) });
  const onSignal = () => server.close();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    note(ctx, `Reviewing ${record.id} at ${server.url}\nThe page stops this server once you adopt or discard; Ctrl-C stops it too.`);
    if (flags.open !== false) openBrowser(server.url);
    const outcome = await server.closed;
    print(ctx, outcome ?? `stopped reviewing ${record.id}; nothing was changed`, { id: record.id, outcome });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
