import type { MaterializedOperation } from "../consolidate/materialize.js";
import { formatEvidence, type DreamOperation } from "../consolidate/operations.js";
import type { BranchCommit } from "./branch.js";
import type { DreamRecord } from "./record.js";

/** Every memory path an operation writes, deletes or moves. */
export function touchedPaths(m: MaterializedOperation): string[] {
  const paths = new Set<string>();
  for (const c of m.changes) {
    if (c.from !== undefined) paths.add(c.from);
    paths.add(c.path);
  }
  return [...paths];
}

function primaryPath(operation: DreamOperation): string {
  switch (operation.kind) {
    case "dedup":
      return `${operation.keep} <- ${operation.remove.join(", ")}`;
    case "reorganize":
      return `${operation.from} -> ${operation.to}`;
    default:
      return operation.path;
  }
}

/** The branch's first commit: no change, the run manifest in its message. */
export function manifestCommit(record: DreamRecord, memories: number, operations: number): BranchCommit {
  const manifest = {
    id: record.id,
    provider: record.provider,
    model: record.model,
    base_commit: record.inputs.base_commit,
    memories,
    sessions: record.inputs.sessions.map((s) => s.id),
    operations,
    instructions: record.instructions,
  };
  return {
    subject: `dream: ${record.id} (${record.provider}, ${operations} operation${operations === 1 ? "" : "s"})`,
    body: `Run manifest; the operations follow, one commit each.\n\n${JSON.stringify(manifest, null, 2)}`,
    trailers: { Dream: record.id },
    changes: [],
  };
}

/** One operation as one commit, with `Dream`, `Dream-Op` and `Evidence` trailers and its reason as the body. */
export function operationCommit(id: string, m: MaterializedOperation): BranchCommit {
  const { operation } = m;
  const trailers: Record<string, string> = { Dream: id, "Dream-Op": operation.kind };
  if (operation.evidence.length > 0) trailers.Evidence = formatEvidence(operation.evidence);
  const changes: BranchCommit["changes"] = [];
  for (const c of m.changes) {
    if (c.from !== undefined) changes.push({ path: c.from, content: null });
    changes.push({ path: c.path, content: c.content });
  }
  return { subject: `dream: ${operation.kind} ${primaryPath(operation)}`, body: operation.reason, trailers, changes };
}
