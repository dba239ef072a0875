/**
 * A word for a POSIX shell, quoted only when it needs to be: what a printed command puts
 * around a folder or file name so that pasting it runs as shown.
 * @example shellWord("my memory") === "'my memory'"
 */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
