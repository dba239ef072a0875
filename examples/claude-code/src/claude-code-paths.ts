import { homedir } from "node:os";
import { join, resolve } from "node:path";

/**
 * The folder where Claude Code keeps a project's session transcripts:
 * `~/.claude/projects/<the project's absolute path, every non-alphanumeric character a dash>`,
 * e.g. `/home/dev/acme-api` → `~/.claude/projects/-home-dev-acme-api`.
 */
export function claudeCodeProjectDir(projectPath: string, home: string = homedir()): string {
  return join(home, ".claude", "projects", resolve(projectPath).replace(/[^A-Za-z0-9]/g, "-"));
}
