/**
 * The injection screen: instruction-like text that arrived through untrusted input (tool
 * output, web content, assistant text) must never become a normal-trust memory.
 */

export interface ScreenResult {
  flagged: boolean;
  /** Short names of the rules that matched, for the operation's reason. */
  reasons: string[];
  /** The text each match covered, in rule order, so a gate can ask where it came from. */
  matches: string[];
}

const RULES: Array<[string, RegExp]> = [
  ["asks to be remembered", /\b(?:save|store|write|add|put|record|remember|memori[sz]e|persist|keep)\b[^.\n]{0,40}\b(?:to|in|into)\s+(?:your\s+|the\s+)?(?:memory|memories|notes?|knowledge|context)\b/i],
  ["asks to be remembered", /\b(?:remember|memori[sz]e)\s+(?:this|that|the\s+following)\b/i],
  ["addresses the agent", /\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|above|earlier|other)\s+(?:instructions?|rules?|prompts?|messages?)\b/i],
  ["addresses the agent", /\b(?:you\s+(?:must|should)\s+(?:always|never|now)|as\s+an?\s+(?:ai|assistant|agent)\b|system\s+prompt|new\s+instructions?\s*:)/i],
  ["standing order", /\b(?:always|from\s+now\s+on|every\s+time|in\s+(?:all|every)\s+future)\b[^.\n]{0,30}\b(?:run|execute|use|call|send|curl|wget|install|fetch|post|upload|include)\b/i],
  ["pipes a download into a shell", /\b(?:curl|wget|iwr|invoke-webrequest|fetch)\b[^\n|]{0,200}\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b/i],
  ["pipes a download into a shell", /\b(?:bash|sh)\s+(?:-c\s+)?["']?\$\((?:curl|wget)\b/i],
  ["runs encoded payload", /\bbase64\s+(?:-d|--decode)\b[^\n]{0,80}\|\s*(?:ba)?sh\b/i],
  ["shouts a directive", /\b(?:IMPORTANT|ATTENTION|NOTE TO (?:THE )?(?:AI|ASSISTANT|AGENT)|SYSTEM)\s*[:!]/],
  ["exfiltration", /\b(?:send|post|upload|exfiltrate)\b[^.\n]{0,40}\b(?:api[_\s-]?keys?|tokens?|secrets?|credentials?|passwords?|\.env|ssh\s+keys?)\b/i],
];

/** Screens `text` for instruction-like content. */
export function screenText(text: string): ScreenResult {
  const reasons: string[] = [];
  const matches: string[] = [];
  for (const [name, re] of RULES) {
    const found = [...text.matchAll(new RegExp(re.source, `${re.flags}g`))].map((m) => m[0]);
    if (found.length === 0) continue;
    matches.push(...found);
    if (!reasons.includes(name)) reasons.push(name);
  }
  return { flagged: reasons.length > 0, reasons, matches };
}
