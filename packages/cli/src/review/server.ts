import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isReverieError, ReverieError, type Notice } from "@reverie/core";
import { readDream } from "@reverie/dream";
import { adoptAndDescribe } from "../commands/dream-adopt.js";
import { discardAndDescribe } from "../commands/dream-discard.js";
import { renderPage } from "./page.js";
import { loadReview } from "./review-data.js";

export interface ReviewServerOptions {
  memoryDir: string;
  /** The folder as the user named it, for the commands the page prints. */
  dirArg: string;
  id: string;
  /** 0 (the default) for a free port. */
  port?: number;
  onNotice: Notice;
}

export interface ReviewServer {
  /** `http://127.0.0.1:<port>/?token=<token>`: the only address that opens the page. */
  url: string;
  /** Resolves once the server has stopped: after an adopt or discard succeeded, or `close()`; with what was done, if anything. */
  closed: Promise<string | null>;
  close(): void;
}

const MAX_BODY = 64 * 1024;

/**
 * Serves the review page of one dream on 127.0.0.1. Every request, reads included, must carry
 * the random token (in the page's URL, then the `x-reverie-token` header) and name this server
 * as its Host (so another site cannot reach it through DNS rebinding); anything else is a 403.
 * Adopt and discard run the same functions as `dream adopt --skip` and `dream discard`, one at
 * a time; once one succeeds the server stops.
 */
export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const token = randomBytes(24).toString("base64url");
  const nonce = randomBytes(16).toString("base64url");
  const record = await readDream(options.memoryDir, options.id);
  const page = renderPage(await loadReview(options.memoryDir, record, options.dirArg), { live: true, token, nonce });
  let busy = false;
  let outcome: string | null = null;
  let resolveClosed!: (value: string | null) => void;
  const closed = new Promise<string | null>((resolve) => (resolveClosed = resolve));

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: { code: "INTERNAL", message: (error as Error).message } }));
  });
  const stop = () => {
    server.close(() => resolveClosed(outcome));
    server.closeAllConnections();
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const port = (server.address() as AddressInfo).port;
    const hostOk = req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;
    const given = req.method === "GET" ? url.searchParams.get("token") : req.headers["x-reverie-token"];
    if (!hostOk || typeof given !== "string" || !sameToken(given, token)) {
      return send(res, 403, { error: { code: "FORBIDDEN", message: "This review server answers only requests that carry the token in the address reverie dream review printed." } });
    }
    if (req.method === "GET" && url.pathname === "/") {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; script-src 'nonce-${nonce}'; frame-ancestors 'none'`,
      });
      res.end(page);
      return;
    }
    if (req.method !== "POST" || (url.pathname !== "/adopt" && url.pathname !== "/discard")) return send(res, 404, { error: { code: "NOT_FOUND", message: `No ${req.method} ${url.pathname} here.` } });
    if (busy || outcome !== null) return send(res, 409, { error: { code: "BUSY", message: outcome ?? "An adopt or discard is already running." } });
    busy = true;
    try {
      const body = await readJson(req);
      const done =
        url.pathname === "/adopt"
          ? await adoptAndDescribe(options.memoryDir, options.id, { skip: skipList(body), force: false, onNotice: options.onNotice })
          : await discardAndDescribe(options.memoryDir, options.id, options.onNotice);
      outcome = done.human;
      res.once("finish", stop);
      send(res, 200, { message: done.human, record: done.record });
    } catch (error) {
      if (!isReverieError(error)) throw error;
      send(res, error.code === "CONFLICT" ? 409 : 400, { error: error.toJSON() });
    } finally {
      busy = false;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new ReverieError("INVALID_INPUT", `--port ${options.port}: 127.0.0.1:${options.port} is in use; pick another port, or leave out --port for a free one.`, { port: options.port }) : error),
    );
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/?token=${token}`, closed, close: stop };
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_BODY) throw new ReverieError("INVALID_INPUT", `Request body over ${MAX_BODY} bytes.`, {});
  }
  try {
    return text === "" ? {} : JSON.parse(text);
  } catch {
    throw new ReverieError("INVALID_INPUT", "The request body is not JSON.", {});
  }
}

function skipList(body: unknown): number[] {
  const skip = ((body ?? {}) as { skip?: unknown }).skip ?? [];
  if (!Array.isArray(skip) || !skip.every((n) => Number.isInteger(n))) throw new ReverieError("INVALID_INPUT", 'Expected {"skip": [operation numbers]}.', {});
  return skip as number[];
}
