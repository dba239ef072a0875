#!/usr/bin/env node
import { main } from "../dist/main.js";

main(process.argv.slice(2)).then((code) => {
  // stdin stays referenced after the client disconnects; the server is done, so end here.
  process.exit(code);
});
