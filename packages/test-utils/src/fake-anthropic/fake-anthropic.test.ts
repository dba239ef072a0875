import { afterEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "./fake-anthropic.js";
import { fault, reply } from "./replies.js";

let fake: FakeAnthropic;
afterEach(async () => {
  await fake.close();
});

const body = (cached: boolean) => ({
  model: "m",
  max_tokens: 10,
  system: [{ type: "text", text: "x".repeat(400), ...(cached && { cache_control: { type: "ephemeral" } }) }],
  messages: [{ role: "user", content: "y".repeat(40) }],
});

async function post(path: string, payload: unknown) {
  const res = await fetch(`${fake.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

describe("fake Anthropic server", () => {
  it("reports usage from the prompt and models cache writes then reads", async () => {
    fake = await startFakeAnthropic({ responder: () => reply.text("ok") });
    const first = await post("/v1/messages", body(true));
    const second = await post("/v1/messages", body(true));
    expect(first.json.usage).toMatchObject({ input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 0, output_tokens: 1 });
    expect(second.json.usage).toMatchObject({ input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 });
    expect(fake.log.map((e) => [e.kind, e.promptChars, e.tokens])).toEqual([
      ["messages", 440, 110],
      ["messages", 440, 110],
    ]);
  });

  it("serves queued faults with their headers, and refuses what a local server lacks", async () => {
    fake = await startFakeAnthropic();
    fake.enqueue(fault.rateLimited(3));
    const limited = await post("/v1/messages", body(false));
    expect([limited.status, limited.headers.get("retry-after"), limited.json]).toEqual([429, "3", { type: "error", error: { type: "rate_limit_error", message: "Number of request tokens has exceeded your rate limit." } }]);
    fake.setLocal(true);
    expect((await post("/v1/messages", body(true))).status).toBe(400);
    expect((await post("/v1/messages/count_tokens", body(false))).status).toBe(404);
    expect((await post("/v1/messages", body(false))).json).toMatchObject({ error: { message: "fake-anthropic: no scripted reply for request #3" } });
  });
});
