export { startFakeAnthropic } from "./fake-anthropic.js";
export type { FakeAnthropic, FakeAnthropicOptions, FakeLogEntry, FakeReportedUsage, FakeRequest, FakeRequestKind, FakeResponder } from "./fake-anthropic.js";
export { reply, fault, firstUserText } from "./replies.js";
export type { FakeReply, FakeMessageReply, FakeErrorReply, FakeMalformedReply, FakeResetReply, FakeDelayReply, FakeContentBlock, FakeUsage } from "./replies.js";
export { estimateTokens, promptChars, promptSegments, PromptCache } from "./prompt-cache.js";
export type { PromptUsage } from "./prompt-cache.js";
