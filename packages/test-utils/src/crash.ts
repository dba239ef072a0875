import { spawnSync } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** A seeded PRNG (an LCG), so a failing kill run can be replayed from the seed it printed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function git(dir: string, ...args: string[]): { code: number | null; stdout: string } {
  const run = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
  return { code: run.status, stdout: run.stdout };
}

/**
 * What a crash may leave in a memory folder that no later command should find: git's and
 * reverie's lock, temp and journal files anywhere (`.git/objects` aside), and a rebase or merge
 * left in progress. Paths are relative to `dir`.
 */
export async function crashLeftovers(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string, rel: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (path === ".git/objects") continue;
        if (path === ".git/rebase-merge" || path === ".git/rebase-apply") found.push(path);
        await walk(join(at, entry.name), path);
      } else if (/\.(lock|tmp)$/.test(entry.name) || path === ".reverie/lock" || path.startsWith(".reverie/journal/") || path === ".git/MERGE_HEAD") found.push(path);
    }
  };
  await walk(dir, "");
  return found;
}

interface RecordView {
  id: string;
  status: string;
  outputs: { branch: string | null; head: string | null };
  adopted: { commit: string; skipped: number[] } | null;
}

/**
 * Where the dream run records of `dir` (`.reverie/runs/*.json`) disagree with git, one line
 * each; empty when they agree: a completed, unadopted dream's branch exists at the head its
 * record names; a failed or canceled dream has no branch; an adopted dream's merge commit is in
 * HEAD's history with a `Dream: <id>` trailer, and its branch is gone when adopted whole; no
 * `dream/*` branch exists without a completed record; no run is still marked pending or running.
 * Read-only: it runs no reverie code, so it checks what the last command left.
 */
export async function dreamRecordsDisagreeWithGit(dir: string): Promise<string[]> {
  const runs = join(dir, ".reverie", "runs");
  const names = (await readdir(runs).catch(() => [] as string[])).filter((n) => /^drm_[0-9A-Z]{26}\.json$/.test(n));
  const problems: string[] = [];
  const branches = new Map(
    git(dir, "for-each-ref", "--format=%(refname:lstrip=2) %(objectname)", "refs/heads/dream/")
      .stdout.split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ") as [string, string]),
  );
  const seen = new Set<string>();
  for (const name of names) {
    const r = JSON.parse(await readFile(join(runs, name), "utf8")) as RecordView;
    const branch = `dream/${r.id}`;
    seen.add(branch);
    const at = branches.get(branch);
    if (r.status === "pending" || r.status === "running") problems.push(`${r.id}: still ${r.status} after the next command`);
    else if (r.status !== "completed") {
      if (at) problems.push(`${r.id}: ${r.status}, yet ${branch} exists`);
    } else if (r.adopted) {
      const merge = git(dir, "log", "-1", "--format=%B", r.adopted.commit).stdout;
      if (git(dir, "merge-base", "--is-ancestor", r.adopted.commit, "HEAD").code !== 0) problems.push(`${r.id}: adopted in ${r.adopted.commit.slice(0, 7)}, which is not in HEAD's history`);
      else if (!merge.includes(`Dream: ${r.id}`)) problems.push(`${r.id}: adopted in ${r.adopted.commit.slice(0, 7)}, whose message names another dream`);
      if (r.adopted.skipped.length === 0 && at) problems.push(`${r.id}: adopted whole, yet ${branch} still exists`);
    } else if (r.outputs.branch !== null) {
      if (at !== r.outputs.head) problems.push(`${r.id}: completed with ${branch} at ${String(r.outputs.head).slice(0, 7)}, but git has it ${at ? `at ${at.slice(0, 7)}` : "gone"}`);
      const merged = git(dir, "log", "--merges", "-F", `--grep=Dream: ${r.id}`, "--format=%H", "HEAD").stdout.trim();
      if (merged) problems.push(`${r.id}: HEAD holds its adopt merge ${merged.slice(0, 7)}, but its record says not adopted`);
    } else if (at) problems.push(`${r.id}: completed with no branch, yet ${branch} exists`);
  }
  for (const branch of branches.keys()) if (!seen.has(branch)) problems.push(`${branch} exists with no run record`);
  return problems;
}

/**
 * A remote with 40 (`commits`) commits that clone `b` has not seen, and `b` with as many the
 * remote has not: `reverie sync --dir <root>/b` rebases `commits` onto `commits`. `a` is
 * the clone that pushed the remote's. `reverie(args)` runs the CLI (it makes `a` with
 * `reverie init` and syncs it); `<root>/shared.git` is the remote.
 */
export async function syncTemplate(root: string, commits: number, reverie: (args: string[]) => { code: number | null }): Promise<void> {
  const must = (what: string, run: { code: number | null }) => {
    if (run.code !== 0) throw new Error(`sync template: ${what} failed in ${root}`);
  };
  await mkdir(root, { recursive: true });
  const remote = join(root, "shared.git");
  must("git init --bare", git(root, "init", "--quiet", "--bare", "--initial-branch=main", remote));
  must("reverie init a", reverie(["init", join(root, "a")]));
  must("git remote add", git(join(root, "a"), "remote", "add", "origin", remote));
  must("reverie sync a", reverie(["sync", "--dir", join(root, "a")]));
  must("git clone", git(root, "clone", "--quiet", remote, join(root, "b")));
  for (const who of ["a", "b"]) {
    const dir = join(root, who);
    for (let i = 1; i <= commits; i++) {
      await writeFile(join(dir, `${who}${i}.md`), `${who} ${i}\n`);
      must("git add", git(dir, "add", `${who}${i}.md`));
      must("git commit", git(dir, "-c", `user.name=${who}`, "-c", `user.email=${who}@example.com`, "commit", "-q", "-m", `${who} ${i}`));
    }
  }
  must("reverie sync a", reverie(["sync", "--dir", join(root, "a")]));
}
