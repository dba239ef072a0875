export { HERMETIC_GIT_ENV, useHermeticGit } from "./git-env.js";
export { tempDir, cleanupTempDirs } from "./temp-dir.js";
export { startFakeAnthropic, reply, fault, firstUserText, estimateTokens } from "./fake-anthropic/index.js";
export type { FakeAnthropic, FakeAnthropicOptions, FakeLogEntry, FakeReportedUsage, FakeRequest, FakeRequestKind, FakeResponder, FakeReply, FakeMessageReply, FakeContentBlock, FakeUsage } from "./fake-anthropic/index.js";
export { fakeCredentials, fakeChars } from "./fake-credentials.js";
export type { FakeCredential } from "./fake-credentials.js";
export { killAfter } from "./kill.js";
export { crashLeftovers, dreamRecordsDisagreeWithGit, seededRandom, syncTemplate } from "./crash.js";
