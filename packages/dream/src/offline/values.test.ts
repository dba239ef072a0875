import { describe, expect, it } from "vitest";
import { extractValues, valuesCompatible, valueSet } from "./values.js";

describe("extractValues", () => {
  it("finds ports, regions, versions, paths, urls, quoted commands and names", () => {
    const text = "Alice deploys the `api` to us-east-1 on port 8080 with Node 20.11.1; config in src/config.ts, docs at https://example.com:8443/docs. Ask Alice or Bob.";
    expect(extractValues(text)).toEqual([
      { kind: "quoted", value: "api" },
      { kind: "url", value: "https://example.com:8443/docs" },
      { kind: "number", value: "8443" },
      { kind: "identifier", value: "us-east-1" },
      { kind: "number", value: "8080" },
      { kind: "name", value: "node" },
      { kind: "version", value: "20.11.1" },
      { kind: "path", value: "src/config.ts" },
      { kind: "name", value: "alice" },
      { kind: "name", value: "bob" },
    ]);
  });

  it("keeps the kind of a single quoted token (a path in backticks is a path), multi-word quotes stay quoted", () => {
    expect(extractValues("Config lives in `config/app.json`; run `make -C services/app test`.")).toEqual([
      { kind: "path", value: "config/app.json" },
      { kind: "quoted", value: "make -c services/app test" },
      { kind: "path", value: "services/app" },
    ]);
  });

  it("does not count a sentence's first word or list markers as values", () => {
    expect([...valueSet("1. Use pnpm.\n- Never npm. Yarn is out.")]).toEqual([]);
  });
});

describe("valuesCompatible", () => {
  it("accepts equal and nested value sets, refuses values that differ", () => {
    expect(valuesCompatible(new Set(["8080"]), new Set(["8080"]))).toBe(true);
    expect(valuesCompatible(new Set(["8080"]), new Set(["8080", "/healthz"]))).toBe(true);
    expect(valuesCompatible(new Set(["8080"]), new Set(["8081"]))).toBe(false);
    expect(valuesCompatible(new Set(["us-east-1", "8080"]), new Set(["us-east-2", "8080"]))).toBe(false);
  });
});
