import type { Rng } from "./prng.js";
import type { SessionBuilder } from "./session-builder.js";

/** A memory body (and optional title) stating a fact. */
export interface Phrasing {
  title?: string;
  body: string;
}

/** A kind of fact a project memory holds, with the ways people write it and the ways sessions touch it. */
export interface FactKind {
  name: string;
  /** A fresh value, or undefined when this kind has run out of distinct values. */
  value(rng: Rng, taken: Set<string>, svc: string): string | undefined;
  key(svc: string): string;
  /** At least three different wordings of the same fact. */
  phrasings: Array<(svc: string, v: string) => Phrasing>;
  /** A wording that differs from a sibling fact only in `context` and the value. */
  lookAlike?: { contexts: readonly [string, string]; phrase: (svc: string, v: string, context: string) => Phrasing };
  /** A successful call that exercises the fact. */
  verify?: (b: SessionBuilder, svc: string, v: string) => void;
  /** A person stating the change, in their words. */
  userUpdate?: Array<(svc: string, old: string, next: string) => string>;
  /** A call that fails with the old value and succeeds with the new one. */
  commandUpdate?: (b: SessionBuilder, svc: string, old: string, next: string) => void;
  /** A newer memory stating the new value. */
  restate?: (svc: string, next: string) => Phrasing;
}

const REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
  "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ca-central-1", "sa-east-1", "af-south-1", "me-south-1",
] as const;
const TOOLS = ["node", "python", "terraform", "go", "postgres"] as const;
const TEAMS = ["platform", "growth", "payments", "infra", "data", "mobile"] as const;
const FIRST = ["ana", "ben", "chloe", "dev", "eli", "fay", "gus", "hana", "ivo", "jon", "kai", "lea", "max", "nia", "omar", "pia"] as const;
const LAST = ["rossi", "kim", "silva", "novak", "berg", "okafor", "tanaka", "moreau", "weber", "costa", "lind", "ahmed"] as const;
const TARGETS = ["test-unit", "test-int", "check", "lint-all", "verify"] as const;

function fresh(taken: Set<string>, make: () => string, tries = 200): string | undefined {
  for (let i = 0; i < tries; i++) {
    const v = make();
    if (!taken.has(v)) {
      taken.add(v);
      return v;
    }
  }
  return undefined;
}

/** Ports of the pattern and filler templates; facts never use them, so a pattern never states a fact. */
export const RESERVED_PORTS = new Set(["3000", "5432", "5173", "6379", "8080"]);

export const port: FactKind = {
  name: "port",
  value: (rng, taken) => fresh(taken, () => String(rng.int(6000, 9899))),
  key: (svc) => `${svc}.port`,
  phrasings: [
    (svc, v) => ({ title: `${svc} port`, body: `The ${svc} service listens on port ${v}.` }),
    (svc, v) => ({ body: `${svc} runs locally on port ${v}, so the dev URL is http://localhost:${v}.` }),
    (svc, v) => ({ title: `Local port of ${svc}`, body: `Port for ${svc} in development: ${v}.` }),
    (svc, v) => ({ body: `When running ${svc} locally it binds to port ${v}.` }),
  ],
  lookAlike: {
    contexts: ["staging", "production"],
    phrase: (svc, v, context) => ({ title: `${svc} port (${context})`, body: `The ${svc} service listens on port ${v} in ${context}.` }),
  },
  verify: (b, svc, v) => {
    b.bash(`curl -s http://localhost:${v}/health`, `{"status":"ok","service":"${svc}"}`);
  },
  userUpdate: [
    (svc, old, next) => `From now on ${svc} uses port ${next}, not ${old}.`,
    (svc, old, next) => `Heads up: we moved ${svc} from port ${old} to ${next} last night. Can you update the compose file?`,
    (svc, old, next) => `${svc} is no longer on port ${old}; it's on ${next} now.`,
  ],
  commandUpdate: (b, svc, old, next) => {
    b.bash(`curl -s http://localhost:${old}/health`, `curl: (7) Failed to connect to localhost port ${old} after 0 ms: Couldn't connect to server`, true);
    b.assistant(`Nothing answers on ${old}; checking the compose file for the ${svc} port.`);
    b.call("Read", { file_path: `/work/app/docker-compose.yml` }, `services:\n  ${svc}:\n    ports:\n      - "${next}:${next}"\n`);
    b.bash(`curl -s http://localhost:${next}/health`, `{"status":"ok","service":"${svc}"}`);
  },
  restate: (svc, next) => ({ title: `${svc} port`, body: `${svc} now listens on port ${next} (changed in the compose file).` }),
};

export const region: FactKind = {
  name: "region",
  value: (rng, taken) => fresh(taken, () => rng.pick(REGIONS), 60),
  key: (svc) => `${svc}.region`,
  phrasings: [
    (svc, v) => ({ title: `${svc} region`, body: `${svc} is deployed to ${v}.` }),
    (svc, v) => ({ body: `The ${svc} production stack runs in AWS region ${v}.` }),
    (svc, v) => ({ title: `Where ${svc} runs`, body: `Region for ${svc}: ${v}.` }),
    (svc, v) => ({ body: `Deploy ${svc} to ${v}; that is where its ECS cluster lives.` }),
  ],
  lookAlike: {
    contexts: ["primary", "failover"],
    phrase: (svc, v, context) => ({ title: `${svc} ${context} region`, body: `The ${context} ${svc} stack is deployed to ${v}.` }),
  },
  verify: (b, svc, v) => {
    b.bash(`aws ecs describe-services --cluster ${svc} --services ${svc} --region ${v}`, `{"services":[{"serviceName":"${svc}","status":"ACTIVE","runningCount":2}]}`);
  },
  userUpdate: [
    (svc, old, next) => `We migrated ${svc} from ${old} to ${next}.`,
    (svc, old, next) => `Use ${next} for ${svc} now, not ${old}.`,
  ],
  commandUpdate: (b, svc, old, next) => {
    b.bash(
      `aws ecs describe-services --cluster ${svc} --services ${svc} --region ${old}`,
      "An error occurred (ClusterNotFoundException) when calling the DescribeServices operation: Cluster not found.",
      true,
    );
    b.assistant(`The cluster is not in ${old}; the deploy config says ${next}.`);
    b.bash(`aws ecs describe-services --cluster ${svc} --services ${svc} --region ${next}`, `{"services":[{"serviceName":"${svc}","status":"ACTIVE","runningCount":2}]}`);
  },
  restate: (svc, next) => ({ title: `${svc} region`, body: `${svc} now runs in ${next} after the migration.` }),
};

const MAJORS: Record<(typeof TOOLS)[number], readonly [number, number]> = { node: [18, 22], python: [3, 3], terraform: [1, 1], go: [1, 1], postgres: [14, 17] };

const toolOf = (svc: string): (typeof TOOLS)[number] => TOOLS[[...svc].reduce((a, c) => a + c.charCodeAt(0), 0) % TOOLS.length]!;

export const version: FactKind = {
  name: "version",
  value: (rng, taken, svc) => {
    const tool = toolOf(svc);
    const [lo, hi] = MAJORS[tool];
    return fresh(taken, () => `${rng.int(lo, hi)}.${rng.int(1, 24)}.${rng.int(0, 19)}`);
  },
  key: (svc) => `${svc}.${toolOf(svc)}-version`,
  phrasings: [
    (svc, v) => ({ title: `${svc} ${toolOf(svc)} version`, body: `${svc} pins ${toolOf(svc)} to version ${v}.` }),
    (svc, v) => ({ body: `Use ${toolOf(svc)} ${v} when working on ${svc}; it is pinned in .tool-versions.` }),
    (svc, v) => ({ title: `${toolOf(svc)} for ${svc}`, body: `${svc} needs ${toolOf(svc)} ${v}, nothing newer.` }),
  ],
  verify: (b, svc, v) => {
    b.bash(`${toolOf(svc)} --version`, `${toolOf(svc)} v${v}`);
  },
  userUpdate: [
    (svc, old, next) => `We upgraded ${toolOf(svc)} for ${svc} from ${old} to ${next}.`,
    (svc, old, next) => `${svc} should be on ${toolOf(svc)} ${next}, not ${old}.`,
  ],
  restate: (svc, next) => ({ title: `${svc} ${toolOf(svc)} version`, body: `${svc} now pins ${toolOf(svc)} to ${next}.` }),
};

export const timeout: FactKind = {
  name: "timeout",
  value: (rng, taken) => fresh(taken, () => `${rng.int(15, 95) * 100}ms`),
  key: (svc) => `${svc}.timeout`,
  phrasings: [
    (svc, v) => ({ body: `Requests from ${svc} time out after ${v}.` }),
    (svc, v) => ({ title: `${svc} timeout`, body: `${svc} uses a ${v} request timeout.` }),
    (svc, v) => ({ body: `Timeout for ${svc} HTTP calls: ${v}.` }),
  ],
  userUpdate: [(svc, old, next) => `The ${svc} timeout should be ${next}, not ${old}.`],
};

export const configPath: FactKind = {
  name: "path",
  value: (rng, taken, svc) => fresh(taken, () => `config/${svc}.${rng.pick(["yaml", "toml", "json"])}`),
  key: (svc) => `${svc}.config`,
  phrasings: [
    (svc, v) => ({ body: `${svc} reads its settings from ${v}.` }),
    (svc, v) => ({ title: `${svc} config`, body: `Config for ${svc} lives in \`${v}\`.` }),
    (svc, v) => ({ body: `Edit ${v} to change how ${svc} behaves.` }),
  ],
  verify: (b, svc, v) => {
    b.call("Read", { file_path: `/work/app/${v}` }, `# ${svc} settings\nlog_level: info\nretries: 3\n`);
  },
};

export const command: FactKind = {
  name: "command",
  value: (rng, taken, svc) => fresh(taken, () => `make -C services/${svc} ${rng.pick(TARGETS)}`),
  key: (svc) => `${svc}.test-command`,
  phrasings: [
    (svc, v) => ({ body: `Run the ${svc} checks with \`${v}\`.` }),
    (svc, v) => ({ title: `${svc} tests`, body: `To test ${svc}: \`${v}\`.` }),
    (svc, v) => ({ body: `\`${v}\` runs the ${svc} test suite.` }),
  ],
  verify: (b, svc, v) => {
    b.bash(v, `ok  \t${svc}\t3.2s\nPASS`);
  },
};

export const owner: FactKind = {
  name: "owner",
  value: (rng, taken) => fresh(taken, () => `@${rng.pick(FIRST)}${rng.pick(LAST)}`),
  key: (svc) => `${svc}.owner`,
  phrasings: [
    (svc, v) => ({ body: `${svc} is owned by the ${TEAMS[svc.length % TEAMS.length]} team; ping ${v} for reviews.` }),
    (svc, v) => ({ title: `${svc} owner`, body: `Code owner of ${svc}: ${v}.` }),
    (svc, v) => ({ body: `Ask ${v} before changing ${svc}.` }),
  ],
};

/** Every kind, for untouched facts, weighted by how often a project memory states such a thing. */
export const UntouchedKinds: ReadonlyArray<readonly [FactKind, number]> = [
  [port, 25],
  [configPath, 20],
  [command, 15],
  [version, 15],
  [owner, 10],
  [timeout, 8],
  [region, 7],
];
