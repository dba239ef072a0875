/**
 * Dreams over a project's Claude Code sessions: reads `~/.claude/projects/<project>/*.jsonl`
 * and proposes a consolidated memory as branch `dream/<id>`, offline and without a key.
 *
 *   node examples/claude-code/dist/dream-project.js --memory ~/memory [--project /path/to/project]
 */
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ReverieError } from "@reverie/core";
import { dream, type DreamRecord } from "@reverie/dream";
import { claudeCodeProjectDir } from "./claude-code-paths.js";
import { parseCommandLine } from "./command-line.js";

export interface DreamProjectOptions {
  memoryDir: string;
  /** The project Claude Code worked in. @default process.cwd() */
  project?: string;
  /** Where `.claude/` lives. @default os.homedir() */
  home?: string;
}

/** Dreams over every session Claude Code recorded for `project`. */
export async function dreamOverProject(options: DreamProjectOptions): Promise<DreamRecord> {
  const sessions = claudeCodeProjectDir(options.project ?? process.cwd(), options.home);
  if (!(await stat(sessions).catch(() => null))?.isDirectory()) {
    throw new ReverieError("NOT_FOUND", `No Claude Code sessions at ${sessions}: run Claude Code in that project first, or pass --project.`, { sessions });
  }
  return dream({ memory: options.memoryDir, sessions: [sessions] });
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const values = parseCommandLine(
    "dream-project.js",
    "Usage: node examples/claude-code/dist/dream-project.js [--memory <dir>] [--project <dir>]\n\n  --memory <dir>   the reverie memory folder (default: ./memory)\n  --project <dir>  the project Claude Code worked in (default: the current folder)\n  -h, --help       print this help",
    { memory: { default: "./memory" }, project: {} },
  );
  dreamOverProject({ memoryDir: values.memory!, ...(values.project ? { project: values.project } : {}) }).then(
    (run) => console.log(`dream ${run.id}: ${run.status}; review with: reverie dream show ${run.id} --dir ${values.memory}`),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
