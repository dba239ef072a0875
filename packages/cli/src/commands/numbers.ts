import { ReverieError } from "@reverie/core";

/** Parses a flag that must be a whole number ≥ 1. */
export function positiveInt(value: string, flag: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) {
    throw new ReverieError("INVALID_INPUT", `${flag} must be a whole number of at least 1 (e.g. ${flag} 20), got ${JSON.stringify(value)}.`, { flag, value });
  }
  return n;
}

/** Parses a flag that must be a non-negative number. */
export function nonNegativeNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || value.trim() === "") {
    throw new ReverieError("INVALID_INPUT", `${flag} must be a number of at least 0 (e.g. ${flag} 0.50), got ${JSON.stringify(value)}.`, { flag, value });
  }
  return n;
}
