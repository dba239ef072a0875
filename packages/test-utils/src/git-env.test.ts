import { describe, expect, it } from "vitest";
import { CALLER_GIT_VARIABLES, useHermeticGit } from "./git-env.js";

describe("useHermeticGit", () => {
  it("removes the identity a CI system exports, so git in tests sees a machine with no identity", () => {
    const exported = { GIT_AUTHOR_NAME: "CI Bot", GIT_AUTHOR_EMAIL: "ci@example.com", GIT_COMMITTER_NAME: "CI Bot", GIT_COMMITTER_EMAIL: "ci@example.com", EMAIL: "ci@example.com" };
    Object.assign(process.env, exported);
    useHermeticGit();
    for (const name of Object.keys(exported)) expect(process.env[name]).toBeUndefined();
    expect(CALLER_GIT_VARIABLES).toEqual(expect.arrayContaining(Object.keys(exported)));
  });
});
