import { describe, expect, it } from "vitest";
import { offlineConsolidator } from "./offline-consolidator.js";
import { note, session } from "./test-support.js";

const now = "2026-03-01T00:00:00Z";
const consolidate = (memories: ReturnType<typeof note>[], sessions: ReturnType<typeof session>[] = []) =>
  offlineConsolidator().consolidate({ memories, sessions, now });

const background = [
  note("tooling/pm.md", { id: "mem_pm", title: "Package manager" }, "Use pnpm for installs, never npm.\n"),
  note("tooling/lint.md", { id: "mem_lint", title: "Lint" }, "Run eslint before committing.\n"),
  note("team/owner.md", { id: "mem_own", title: "Owner" }, "The billing service is owned by the payments team.\n"),
];

describe("dedup", () => {
  it("merges the same fact stated in different words, keeping the memory with provenance", async () => {
    const ses = session("ses_1", "2026-01-01T00:00:00Z", [{ user: "the api listens on 8080" }]);
    const out = await consolidate(
      [
        ...background,
        note("infra/api-port.md", { id: "mem_a", title: "API server port", sources: [{ session: "ses_1", turn: 1 }] }, "The API server listens on port 8080.\n"),
        note("notes/api.md", { id: "mem_b", title: "API port" }, "Port 8080 is used by the API server.\n"),
        note("notes/api-server.md", { id: "mem_c" }, "API server: listens on port 8080 (HTTP).\n"),
      ],
      [ses],
    );
    expect(out.operations).toEqual([
      {
        kind: "dedup",
        keep: "infra/api-port.md",
        remove: ["notes/api-server.md", "notes/api.md"],
        reason: expect.stringMatching(/^3 memories state the same fact; keeping infra\/api-port\.md/),
        evidence: [{ session: "ses_1", turn: 1, note: "stated in infra/api-port.md" }],
      },
    ]);
  });

  it("merges paraphrases whose wording differs but that state the same rare value about the same named subject", async () => {
    // A memory where the same phrasings recur for other services, so only names and values are rare.
    const phrasings = [
      (svc: string, port: number) => `The ${svc} service listens on port ${port}.\n`,
      (svc: string, port: number) => `Port for ${svc} in development: ${port}.\n`,
      (svc: string, port: number) => `${svc} runs locally on port ${port}, so the dev URL is http://localhost:${port}.\n`,
    ];
    const others = ["amber-api", "basalt-web", "cobalt-worker", "delta-cron", "ember-svc", "fjord-api", "granite-api", "harbor-web", "indigo-cron"].map((svc, i) =>
      note(`services/${svc}.md`, { id: `mem_o${i}`, title: `${svc} port` }, phrasings[i % 3]!(svc, 7000 + i)),
    );
    const out = await consolidate([
      ...background,
      ...others,
      note("notes/yarrow-web.md", { id: "mem_a", title: "Local port of yarrow-web" }, "Port for yarrow-web in development: 7444.\n"),
      note("services/yarrow-web-port.md", { id: "mem_b" }, "yarrow-web runs locally on port 7444, so the dev URL is http://localhost:7444.\n"),
      // Same value, other subject: a route to that port is not the same fact.
      note("infra/gateway.md", { id: "mem_g", title: "Gateway routes" }, "The gateway forwards /feed traffic to port 7444 in development.\n"),
    ]);
    expect(out.operations).toMatchObject([{ kind: "dedup", keep: "services/yarrow-web-port.md", remove: ["notes/yarrow-web.md"] }]);
  });

  it("never merges look-alikes that differ in one value (port 8080 vs 8081, us-east-1 vs us-east-2)", async () => {
    const out = await consolidate([
      ...background,
      note("infra/api.md", { id: "mem_a", title: "API server port" }, "The API server listens on port 8080.\n"),
      note("infra/api-old.md", { id: "mem_b", title: "API server port" }, "The API server listens on port 8081.\n"),
      note("infra/region.md", { id: "mem_c", title: "Deploy region" }, "Production is deployed to AWS region us-east-1.\n"),
      note("infra/region-2.md", { id: "mem_d", title: "Deploy region" }, "Production is deployed to AWS region us-east-2.\n"),
    ]);
    expect(out.operations).toEqual([]);
  });

  it("merges memories that share a subject key and agree on the value, whatever the wording", async () => {
    const out = await consolidate([
      ...background,
      note("a.md", { id: "mem_a", key: "js.package-manager" }, "pnpm.\n"),
      note("b.md", { id: "mem_b", key: "js.package-manager" }, "We settled on pnpm after the lockfile fights of last spring.\n"),
    ]);
    expect(out.operations.map((op) => (op.kind === "dedup" ? [op.keep, op.remove] : op.kind))).toEqual([["b.md", ["a.md"]]]);
  });

  it("never merges memories with different subject keys, nor a low-trust one", async () => {
    const out = await consolidate([
      ...background,
      note("a.md", { id: "mem_a", key: "ci.runner" }, "Tests run on the self-hosted runner pool.\n"),
      note("b.md", { id: "mem_b", key: "ci.runner-pool" }, "Tests run on the self-hosted runner pool.\n"),
      note("c.md", { id: "mem_c", trust: "low" }, "Use pnpm for installs, never npm.\n"),
    ]);
    expect(out.operations).toEqual([]);
  });
});
