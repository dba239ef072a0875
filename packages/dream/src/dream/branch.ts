import { mkdir, readFile, rm } from "node:fs/promises";
import { agentIdentity, formatTrailers, reverieTempDir, runGit, tempFileName, type GitRepo } from "@reverie/core";

/** The author of every dream commit. */
export const DREAM_AUTHOR = agentIdentity("reverie-dream");

export function dreamBranch(id: string): string {
  return `dream/${id}`;
}

/** One commit of a dream branch: its message and the files it writes (content) or deletes (null). */
export interface BranchCommit {
  subject: string;
  body?: string;
  trailers: Record<string, string>;
  changes: Array<{ path: string; content: string | null }>;
}

/**
 * Writes a branch of commits on top of `base` in one `git fast-import` run: no working tree,
 * index or checked-out branch is touched, and the ref appears only when every commit is
 * written — a killed dream leaves no half-made branch. Returns the commit id of each commit.
 */
export async function writeBranch(repo: GitRepo, ref: string, base: string, commits: readonly BranchCommit[], signal?: AbortSignal): Promise<string[]> {
  signal?.throwIfAborted();
  const committer = (await repo.run(["var", "GIT_COMMITTER_IDENT"])).stdout.trim();
  // Authored by the dream, committed by whoever ran it: `git log` tells dreams from people.
  const when = committer.slice(committer.lastIndexOf(">") + 1).trim();
  const author = `${DREAM_AUTHOR.name} <${DREAM_AUTHOR.email}> ${when}`;
  const chunks: Buffer[] = [];
  const push = (text: string) => chunks.push(Buffer.from(text, "utf8"));
  const data = (text: string) => {
    const bytes = Buffer.from(text, "utf8");
    push(`data ${bytes.length}\n`);
    chunks.push(bytes);
    push("\n");
  };
  push("feature done\n");
  commits.forEach((commit, i) => {
    push(`commit refs/heads/${ref}\nmark :${i + 1}\nauthor ${author}\ncommitter ${committer}\n`);
    const trailers = formatTrailers(commit.trailers);
    data([commit.subject, commit.body, trailers].filter((part) => part !== undefined && part !== "").join("\n\n") + "\n");
    if (i === 0) push(`from ${base}\n`);
    for (const change of commit.changes) {
      if (change.content === null) push(`D ${quotePath(change.path)}\n`);
      else {
        push(`M 100644 inline ${quotePath(change.path)}\n`);
        data(change.content);
      }
    }
    push("\n");
  });
  push("done\n");
  // In .reverie/tmp/ under its owner's name, so what a killed dream leaves is swept by the next command.
  await mkdir(reverieTempDir(repo.dir), { recursive: true });
  const marks = tempFileName(reverieTempDir(repo.dir), "marks");
  try {
    await repo.run(["fast-import", "--quiet", `--export-marks=${marks}`], { input: Buffer.concat(chunks) });
    const byMark = new Map<string, string>();
    for (const line of (await readFile(marks, "utf8")).split("\n")) {
      const [mark, sha] = line.split(" ");
      if (mark && sha) byMark.set(mark, sha);
    }
    return commits.map((_, i) => byMark.get(`:${i + 1}`)!);
  } finally {
    await rm(marks, { force: true });
  }
}

/** fast-import reads a path to the end of the line; only a leading quote needs C-style quoting. */
function quotePath(path: string): string {
  return path.startsWith('"') ? JSON.stringify(path) : path;
}

/** Deletes `dream/<id>` if it exists (discard, or cleaning up after a failed or crashed run). */
export async function deleteDreamBranch(memoryDir: string, id: string): Promise<void> {
  await runGit(memoryDir, ["update-ref", "-d", `refs/heads/${dreamBranch(id)}`], { okCodes: [1] });
}

/** Whether `dream/<id>` exists, and its head. */
export async function dreamBranchHead(repo: GitRepo, id: string): Promise<string | null> {
  const result = await repo.run(["rev-parse", "--verify", "-q", `refs/heads/${dreamBranch(id)}`], { okCodes: [1] });
  return result.code === 0 ? result.stdout.trim() : null;
}
