#!/usr/bin/env node
/**
 * `pnpm pack:cli [--out <folder>]`: one installable tarball of the `reverie` command,
 * `<folder>/reverie-cli.tgz` (default dist/), made from this clone with nothing published.
 * `npm install -g <tarball>` then gives `reverie` (and the MCP server it starts) on PATH, from
 * any folder.
 *
 * How: each workspace package is packed by `pnpm pack` (its `files`, `workspace:*` turned into
 * versions, exactly what publishing would upload), the CLI's tarball is unpacked, the other
 * three are placed in its node_modules and named in `bundleDependencies` (npm's own way to ship
 * packages inside a package), and `npm pack` makes the tarball. Their third-party dependencies
 * become the CLI's, pinned to the versions this clone's tests ran against, so installing needs
 * only the npm registry. Publishing later is `pnpm publish` of each package instead (core with
 * the memory template copied beside its dist, as done here).
 *
 * Needs the build (`tsc -b`, which `pnpm pack:cli` runs first), pnpm, npm and tar.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { out: { type: "string", default: join(root, "dist") } } });
const out = resolve(values.out);

/** The CLI first; the rest are bundled inside it. */
const PACKAGES = ["cli", "core", "dream", "mcp"];
const BUNDLED = PACKAGES.slice(1).map((name) => `@reverie/${name}`);

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const run = (command, args, cwd) => execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

for (const name of PACKAGES) {
  const main = join(root, "packages", name, "dist", "index.js");
  if (!existsSync(main)) fail(`${main} is missing: build first (pnpm build), or run pnpm pack:cli, which builds.`);
}

const work = mkdtempSync(join(tmpdir(), "reverie-pack-"));
try {
  const staged = {};
  for (const name of PACKAGES) {
    const dir = join(root, "packages", name);
    const before = readJson(join(dir, "package.json"));
    const tarball = join(work, `${name}.tgz`);
    const packed = run("pnpm", ["pack", "--out", tarball], dir);
    if (!existsSync(tarball)) fail(`pnpm pack in ${dir} wrote no ${tarball}:\n${packed}`);
    const into = join(work, name);
    mkdirSync(into);
    run("tar", ["-xzf", tarball, "-C", into], work);
    staged[name] = { dir: join(into, "package"), manifest: readJson(join(into, "package", "package.json")), version: before.version };
  }

  // Third-party dependencies of all four, at the versions installed in this clone.
  const dependencies = {};
  for (const name of PACKAGES) {
    for (const dep of Object.keys(staged[name].manifest.dependencies ?? {})) {
      if (dep.startsWith("@reverie/")) continue;
      const installed = readJson(join(root, "packages", name, "node_modules", dep, "package.json")).version;
      if (dependencies[dep] !== undefined && dependencies[dep] !== installed) {
        fail(`${dep} is installed at ${dependencies[dep]} and ${installed} in different packages; one version must serve all (align them in the packages' package.json).`);
      }
      dependencies[dep] = installed;
    }
  }

  // npm treats every dependency of a bundled package as part of the bundle too, and would
  // leave it empty rather than fetch it; so the bundled packages keep only their dependencies on
  // each other, and the CLI declares the rest (Node resolves them from the CLI's node_modules).
  const cli = staged.cli;
  for (const name of PACKAGES.slice(1)) {
    const target = join(cli.dir, "node_modules", "@reverie", name);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(staged[name].dir, target);
    const { manifest } = staged[name];
    if (name === "core") {
      // init's template, found beside the package when installed (packages/core/src/memory/init-memory.ts).
      cpSync(join(root, "memory-template"), join(target, "memory-template"), { recursive: true });
      // npm leaves every .gitignore out of a package; init writes this one back as .gitignore.
      renameSync(join(target, "memory-template", ".gitignore"), join(target, "memory-template", "gitignore"));
      manifest.files = [...manifest.files, "memory-template"];
    }
    manifest.dependencies = Object.fromEntries(Object.entries(manifest.dependencies ?? {}).filter(([dep]) => dep.startsWith("@reverie/")));
    delete manifest.devDependencies;
    writeFileSync(join(target, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const manifest = {
    ...cli.manifest,
    dependencies: Object.fromEntries(
      [...Object.entries(dependencies), ...BUNDLED.map((name) => [name, staged[name.slice("@reverie/".length)].version])].sort(([a], [b]) => a.localeCompare(b)),
    ),
    bundleDependencies: BUNDLED,
  };
  delete manifest.devDependencies;
  writeFileSync(join(cli.dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);

  mkdirSync(out, { recursive: true });
  const [{ filename }] = JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], cli.dir));
  // One stable name, so the install command in the README never changes with the version.
  const tarball = join(out, "reverie-cli.tgz");
  cpSync(join(work, filename), tarball);
  process.stdout.write(`${tarball}\nInstall it with: npm install -g ${tarball}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function fail(message) {
  process.stderr.write(`pack:cli: ${message}\n`);
  process.exitCode = 1;
  throw new PackError(message);
}

class PackError extends Error {}
