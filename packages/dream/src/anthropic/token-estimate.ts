/**
 * Local token estimate for servers without count_tokens and for budget pre-flight: one token
 * per four characters, rounded up — the same rule the fake server reports, so estimates and
 * recorded usage can be compared.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
