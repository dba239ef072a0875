import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests import workspace packages from source so a change is tested without a rebuild;
// only tests that spawn the `reverie` binary need the build that `pnpm test` runs first.
export const alias = {
  "@reverie/core": src("core"),
  "@reverie/dream": src("dream"),
  "@reverie/test-utils": src("test-utils"),
};

export default defineConfig({
  resolve: { alias },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "examples/*/**/*.test.ts", "bench/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    reporters: ["default", fileURLToPath(new URL("./packages/test-utils/src/summary-reporter.ts", import.meta.url))],
    setupFiles: [fileURLToPath(new URL("./packages/test-utils/src/setup.ts", import.meta.url))],
  },
});
