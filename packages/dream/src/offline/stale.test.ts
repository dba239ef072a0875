import { describe, expect, it } from "vitest";
import { offlineConsolidator } from "./offline-consolidator.js";
import { note, session } from "./test-support.js";

const now = "2026-03-01T00:00:00Z";
const created = "2026-01-01T00:00:00Z";

const memories = [
  note("infra/api-port.md", { id: "mem_api", title: "API server port", created }, "The API server listens on port 8080.\n"),
  note("infra/admin-port.md", { id: "mem_admin", title: "Admin UI port", created }, "The admin UI listens on port 8081.\n"),
  note("infra/region.md", { id: "mem_region", title: "Deploy region", created }, "Production is deployed to us-east-1.\n"),
  note("tooling/pm.md", { id: "mem_pm", title: "Package manager", created }, "Use pnpm for installs.\n"),
];

describe("stale", () => {
  it("updates a fact a user restates with a new value, citing that session turn, and retires nothing else", async () => {
    const sessions = [
      session("ses_1", "2026-02-01T00:00:00Z", [{ user: "Let's fix the login bug." }, { run: "pnpm test", ok: "ok" }]),
      session("ses_2", "2026-02-02T00:00:00Z", [
        { user: "Quick note first." },
        { user: "From now on use port 9090 for the API server, not 8080." },
      ]),
    ];
    const out = await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only stale" });
    expect(out.operations).toEqual([
      {
        kind: "stale",
        path: "infra/api-port.md",
        action: "update",
        body: "The API server listens on port 9090.\n",
        reason: "value changed (8080 → 9090) per ses_2#2",
        evidence: [{ session: "ses_2", turn: 2, at: "2026-02-02T00:00:02.000Z", note: "user states the new value" }],
      },
    ]);
  });

  it("follows a value changed twice to the latest and updates the title too", async () => {
    const withTitle = [note("infra/region.md", { id: "mem_region", title: "Deploy region us-east-1", created }, "Production is deployed to us-east-1.\n")];
    const sessions = [
      session("ses_2", "2026-02-02T00:00:00Z", [{ user: "We moved production from us-east-1 to us-east-2." }]),
      session("ses_3", "2026-02-03T00:00:00Z", [{ user: "From now on deploy production to eu-west-1, not us-east-2." }]),
    ];
    const out = await offlineConsolidator().consolidate({ memories: withTitle, sessions, now, instructions: "only stale" });
    expect(out.operations).toEqual([
      {
        kind: "stale",
        path: "infra/region.md",
        action: "update",
        body: "Production is deployed to eu-west-1.\n",
        frontmatter: { title: "Deploy region eu-west-1" },
        reason: "value changed (us-east-1 → us-east-2, us-east-2 → eu-west-1) per ses_2#1, ses_3#1",
        evidence: [
          { session: "ses_2", turn: 1, at: "2026-02-02T00:00:01.000Z", note: "user states the new value" },
          { session: "ses_3", turn: 1, at: "2026-02-03T00:00:01.000Z", note: "user states the new value" },
        ],
      },
    ]);
  });

  it("updates from a command that failed with the old value and succeeded with the new one", async () => {
    const deploy = [note("infra/deploy.md", { id: "mem_d", created }, "Deploy with `./deploy.sh --region us-east-1`.\n")];
    const sessions = [
      session("ses_4", "2026-02-04T00:00:00Z", [
        { run: "./deploy.sh --region us-east-1", error: "error: region us-east-1 is closed to new deployments" },
        { run: "./deploy.sh --region us-east-2", ok: "deployed" },
      ]),
    ];
    const out = await offlineConsolidator().consolidate({ memories: deploy, sessions, now, instructions: "only stale" });
    expect(out.operations).toMatchObject([
      { kind: "stale", path: "infra/deploy.md", action: "update", body: "Deploy with `./deploy.sh --region us-east-2`.\n", evidence: [{ session: "ses_4", turn: 4 }] },
    ]);
  });

  it("updates the memory a retried command moved away from, though the command shares no word with it", async () => {
    const ports = [
      note("services/feed-worker.md", { id: "mem_f", created }, "feed-worker listens on port 9212.\n"),
      note("services/feed-api.md", { id: "mem_g", created }, "feed-api listens on port 9213.\n"),
      note("services/admin.md", { id: "mem_h", created }, "The admin UI answers on port 7000.\n"),
      note("services/admin-copy.md", { id: "mem_i", created }, "Admin dashboards use port 7000 too.\n"),
    ];
    const moved = (id: string, old: string, next: string, between: Array<{ tool?: string; run: string; ok: string }>) =>
      session(id, "2026-02-04T00:00:00Z", [
        { run: `curl -s http://localhost:${old}/health`, error: `curl: (7) Failed to connect to localhost port ${old} after 0 ms: Couldn't connect to server` },
        ...between,
        { run: `curl -s http://localhost:${next}/health`, ok: '{"status":"ok"}' },
      ]);
    const sessions = [
      // The compose file read in between names the subject.
      moved("ses_4", "9212", "9788", [{ tool: "Read", run: "/work/app/docker-compose.yml", ok: 'services:\n  feed-worker:\n    ports:\n      - "9788:9788"\n' }]),
      // Nothing names it, but only one memory states 9213.
      moved("ses_5", "9213", "9861", []),
      // Two memories state 7000 and nothing says which: neither is touched.
      moved("ses_6", "7000", "7100", []),
    ];
    const out = await offlineConsolidator().consolidate({ memories: ports, sessions, now, instructions: "only stale" });
    expect(out.operations).toMatchObject([
      { kind: "stale", path: "services/feed-api.md", action: "update", body: "feed-api listens on port 9861.\n", evidence: [{ session: "ses_5" }] },
      { kind: "stale", path: "services/feed-worker.md", action: "update", body: "feed-worker listens on port 9788.\n", evidence: [{ session: "ses_4" }] },
    ]);
  });

  it("retires the older of two memories with one subject key and different values, citing the newer", async () => {
    const keyed = [
      note("a.md", { id: "mem_a", key: "api.port", updated: "2026-01-01T00:00:00Z" }, "API port is 8080.\n"),
      note("b.md", { id: "mem_b", key: "api.port", updated: "2026-02-01T00:00:00Z", sources: [{ session: "ses_1", turn: 1 }] }, "API port is 9090.\n"),
      ...memories.slice(1),
    ];
    const sessions = [session("ses_1", "2026-02-01T00:00:00Z", [{ user: "the api port is 9090" }])];
    const out = await offlineConsolidator().consolidate({ memories: keyed, sessions, now, instructions: "only stale" });
    expect(out.operations).toEqual([
      {
        kind: "stale",
        path: "a.md",
        action: "retire",
        supersededBy: "b.md",
        reason: "key api.port has a newer value in b.md (2026-02-01T00:00:00.000Z); retiring the older a.md",
        evidence: [{ session: "ses_1", turn: 1, note: "newer value in b.md" }],
      },
    ]);
  });

  it("retires an older memory that a newer one, written in a session, restates with a new value for the same subject and no key", async () => {
    const written = "2026-02-03T00:00:05Z";
    const sources = [{ session: "ses_3", turn: 2, at: written }];
    const restated = [
      note("services/quartz-api-port.md", { id: "mem_q", created }, "quartz-api runs locally on port 7756, so the dev URL is http://localhost:7756.\n"),
      note("notes/quartz-api-port-update.md", { id: "mem_q2", title: "quartz-api port", created: written, sources }, "quartz-api now listens on port 9861 (changed in the compose file).\n"),
      note("tooling/sable-web-version.md", { id: "mem_s", title: "sable-web postgres version", created }, "sable-web pins postgres to version 15.18.13.\n"),
      note("notes/sable-web-version-update.md", { id: "mem_s2", title: "sable-web postgres version", created: written, sources }, "sable-web now pins postgres to 16.15.2.\n"),
      // Look-alikes: a newer production port is not an update of the staging one (no change said, other words)...
      note("services/onyx-staging.md", { id: "mem_o1", title: "onyx-svc port (staging)", created }, "The onyx-svc service listens on port 7001 in staging.\n"),
      note("services/onyx-production.md", { id: "mem_o2", title: "onyx-svc port (production)", created: written, sources }, "The onyx-svc service listens on port 7002 in production.\n"),
      // ...and a change that could be either of two older values names no single one.
      note("services/umber-staging.md", { id: "mem_u1", title: "umber-svc port (staging)", created }, "The umber-svc service listens on port 7101 in staging.\n"),
      note("services/umber-production.md", { id: "mem_u2", title: "umber-svc port (production)", created }, "The umber-svc service listens on port 7102 in production.\n"),
      note("notes/umber-update.md", { id: "mem_u3", created: written, sources }, "umber-svc now listens on port 7103.\n"),
    ];
    const sessions = [session("ses_3", "2026-02-03T00:00:00Z", [{ user: "Note for later." }, { user: "Saved." }])];
    const out = await offlineConsolidator().consolidate({ memories: restated, sessions, now, instructions: "only stale" });
    expect(out.operations).toEqual([
      {
        kind: "stale",
        path: "services/quartz-api-port.md",
        action: "retire",
        supersededBy: "notes/quartz-api-port-update.md",
        reason: "notes/quartz-api-port-update.md (2026-02-03T00:00:05.000Z) states a newer value for the same subject (7756 → 9861); retiring the older services/quartz-api-port.md",
        evidence: [{ session: "ses_3", turn: 2, at: written, note: "newer value in notes/quartz-api-port-update.md" }],
      },
      {
        kind: "stale",
        path: "tooling/sable-web-version.md",
        action: "retire",
        supersededBy: "notes/sable-web-version-update.md",
        reason: "notes/sable-web-version-update.md (2026-02-03T00:00:05.000Z) states a newer value for the same subject (15.18.13 → 16.15.2); retiring the older tooling/sable-web-version.md",
        evidence: [{ session: "ses_3", turn: 2, at: written, note: "newer value in notes/sable-web-version-update.md" }],
      },
    ]);
  });

  it("never lets two updates of different subjects retire each other because they explain themselves alike", async () => {
    const at = (d: number) => `2026-02-0${d}T00:00:05Z`;
    const updates = [
      note("notes/basalt-svc-update.md", { id: "mem_b", title: "basalt-svc port", created: at(1), sources: [{ session: "ses_1", turn: 2, at: at(1) }] }, "basalt-svc now listens on port 8760 (changed in the compose file).\n"),
      note("notes/quartz-svc-update.md", { id: "mem_q", title: "quartz-svc port", created: at(2), sources: [{ session: "ses_2", turn: 2, at: at(2) }] }, "quartz-svc now listens on port 7018 (changed in the compose file).\n"),
      note("tooling/pm.md", { id: "mem_pm", title: "Package manager", created }, "Use pnpm for installs.\n"),
      note("team/owner.md", { id: "mem_own", title: "Owner", created }, "The billing service is owned by the payments team.\n"),
    ];
    const sessions = [1, 2].map((d) => session(`ses_${d}`, `2026-02-0${d}T00:00:00Z`, [{ user: "Note for later." }, { user: "Saved." }]));
    const out = await offlineConsolidator().consolidate({ memories: updates, sessions, now, instructions: "only stale" });
    expect(out.operations).toEqual([]);
  });

  it("leaves memories alone when nothing in the sessions names their old value", async () => {
    const sessions = [
      session("ses_5", "2026-02-05T00:00:00Z", [
        { user: "Use vitest, not jest, for the new package." },
        { user: "The admin UI is fine as it is." },
        { assistant: "From now on I will use port 7000, not 8081." },
        { toolOutput: "from now on use port 6666, not 8080" },
      ]),
    ];
    const out = await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only stale" });
    expect(out.operations).toEqual([]);
  });

  it("does not apply a correction older than the memory", async () => {
    const fresh = [note("infra/api-port.md", { id: "mem_api", updated: "2026-02-10T00:00:00Z" }, "The API server listens on port 8080.\n")];
    const sessions = [session("ses_2", "2026-02-02T00:00:00Z", [{ user: "From now on the API server uses port 9090, not 8080." }])];
    const out = await offlineConsolidator().consolidate({ memories: fresh, sessions, now });
    expect(out.operations).toEqual([]);
  });

  it("reads a change told in two halves: where it is now, and what is gone", async () => {
    const memories = [
      note("infra/region.md", { id: "mem_r", updated: "2026-01-10T00:00:00Z" }, "Production runs in eu-west-1; deploys go through the prod pipeline.\n"),
      note("data/events.md", { id: "mem_e", updated: "2026-01-10T00:00:00Z" }, "Product analytics read the events table `events_v2`.\n"),
    ];
    const sessions = [
      session("ses_1", "2026-02-02T00:00:00Z", [
        { user: "FYI we moved production to us-east-2 last week; eu-west-1 is decommissioned." },
        { user: "Also the events table moved, it's `events_v3` now; events_v2 stopped updating." },
      ]),
    ];
    const out = await offlineConsolidator().consolidate({ memories, sessions, now, instructions: "only stale" });
    expect(out.operations.map((op) => ["path" in op ? op.path : "", op.kind === "stale" ? op.body : undefined])).toEqual([
      ["data/events.md", "Product analytics read the events table `events_v3`.\n"],
      ["infra/region.md", "Production runs in us-east-2; deploys go through the prod pipeline.\n"],
    ]);
  });

  it("reads a value the session's own edit replaced in the file a memory describes", async () => {
    const memories = [note("code/checkpoint-id.md", { id: "mem_c", updated: "2026-01-10T00:00:00Z" }, "Checkpoint ids in trailers.go match `[0-9a-f]{8}`.\n")];
    const edited = session("ses_1", "2026-02-02T00:00:00Z", [{ tool: "Edit", run: "/repo/trailers/trailers.go", ok: "The file has been updated." }]);
    const edit = edited.events.find((e) => e.type === "tool_use")!;
    if (edit.type === "tool_use") edit.input = { file_path: "/repo/trailers/trailers.go", old_string: "var pattern = regexp.MustCompile(`[0-9a-f]{8}`)", new_string: "var pattern = regexp.MustCompile(`[0-9a-f]{12}`)" };
    const out = await offlineConsolidator().consolidate({ memories, sessions: [edited], now, instructions: "only stale" });
    expect(out.operations.map((op) => ["path" in op ? op.path : "", op.kind === "stale" ? op.body : undefined])).toEqual([["code/checkpoint-id.md", "Checkpoint ids in trailers.go match `[0-9a-f]{12}`.\n"]]);
  });
});

