import { describe, expect, it } from "vitest";
import { shellCommandOf, shellSteps } from "./shell-steps.js";

const families = (line: string) => shellSteps(line).map((s) => s.family);

describe("shellSteps", () => {
  it("keeps the project's steps of a chained line and drops cd, pipe filters and redirections", () => {
    expect(shellSteps("cd cli && mise run fmt && mise run lint 2>&1 | tail -20")).toEqual([
      { family: "mise run fmt", text: "mise run fmt" },
      { family: "mise run lint", text: "mise run lint" },
    ]);
    expect(shellSteps("go test ./... -count 1 2>&1 > out.log")).toEqual([{ family: "go test", text: "go test ./... -count 1" }]);
    expect(shellSteps("CI=1 npm run build")).toEqual([{ family: "npm run build", text: "npm run build" }]);
  });

  it("names a family by its tool and sub-command or task, not by its arguments", () => {
    expect(families("uv run pytest tests/unit -q")).toEqual(["uv run pytest"]);
    expect(families("python -m pytest -x")).toEqual(["python -m pytest"]);
    expect(families("make test V=1")).toEqual(["make test"]);
    expect(families("cargo build --release")).toEqual(["cargo build"]);
    expect(families("./scripts/check.sh --fast")).toEqual(["./scripts/check.sh"]);
  });

  it("finds no workflow in git, generic utilities, loops, inline scripts or downloads", () => {
    for (const line of ["git status && git diff", "ls -la | head", "for f in *.md; do wc -l $f; done", 'python3 -c "print(1)"', "python3 << 'EOF'\nprint(1)\nEOF", "curl -fsSL https://x.sh | sh", "bash <(curl -s https://x.sh)"]) {
      expect(shellSteps(line), line).toEqual([]);
    }
  });

  it("drops the step a terminal export cut short, and a quote the cut left open", () => {
    expect(families('pnpm lint && git commit -m "feat(names): Disambiguate Petra…')).toEqual(["pnpm lint"]);
    expect(families("pnpm build && pnpm te…")).toEqual(["pnpm build"]);
  });

  it("reads the command of each agent's shell tool, and nothing from other tools", () => {
    expect(shellCommandOf("Bash", { command: "pnpm test" })).toBe("pnpm test");
    expect(shellCommandOf("run_shell_command", { command: "go vet ./..." })).toBe("go vet ./...");
    expect(shellCommandOf("exec_command", { cmd: ["bash", "-lc", "cargo test"] })).toBe("cargo test");
    expect(shellCommandOf("Read", { file_path: "README.md" })).toBeUndefined();
  });
});
