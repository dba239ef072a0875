#!/usr/bin/env node
import { main } from "../dist/main.js";

// A bug that escapes every handler stops the server, but never silently: the client's log shows
// why, and the exit code is not 0.
const fatal = (error) => {
  process.stderr.write(`reverie mcp: fatal error, the server stops: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(3);
};
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);

main(process.argv.slice(2)).then((code) => {
  // stdin stays referenced after the client disconnects; the server is done, so end here.
  process.exit(code);
}, fatal);
