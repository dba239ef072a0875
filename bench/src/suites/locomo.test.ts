import { describe, expect, it } from "vitest";
import { locomoConversation, parseLocomoDate } from "./locomo.js";

describe("LoCoMo import", () => {
  it("parses LoCoMo session dates", () => {
    expect(parseLocomoDate("1:56 pm on 8 May, 2023")).toBe("2023-05-08T13:56:00Z");
    expect(parseLocomoDate("12:04 am on 1 January, 2024")).toBe("2024-01-01T00:04:00Z");
    expect(parseLocomoDate("yesterday")).toBeUndefined();
  });

  it("makes one session per LoCoMo session and one memory per turn, keyed by dia_id", () => {
    const c = locomoConversation({
      sample_id: "conv-1",
      conversation: {
        speaker_a: "Ann",
        speaker_b: "Bo",
        session_1_date_time: "1:56 pm on 8 May, 2023",
        session_1: [
          { speaker: "Ann", dia_id: "D1:1", text: "I adopted a cat." },
          { speaker: "Bo", dia_id: "D1:2", text: "Nice!", blip_caption: "a cat on a sofa" },
        ],
      },
      qa: [{ question: "What did Ann adopt?", answer: "a cat", evidence: ["D1:1"] }],
    });
    expect(c.sessions).toHaveLength(1);
    expect(c.sessions[0]!.events.map((e) => (e.type === "message" ? [e.role, e.text] : []))).toEqual([
      ["user", "I adopted a cat."],
      ["assistant", "Nice! [shares a photo: a cat on a sofa]"],
    ]);
    expect(c.memories.map((m) => m.path)).toEqual(["conversations/session_1/D1-1.md", "conversations/session_1/D1-2.md"]);
    expect(c.turnMemory.get("D1:1")).toBe("mem_locomo_conv-1_D1_1");
    expect(c.questions).toEqual([{ question: "What did Ann adopt?", evidence: ["D1:1"] }]);
  });
});
