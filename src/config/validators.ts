// envalid validators for the value types baton's variables take.
import { EnvError, makeValidator } from 'envalid';
import { parseSignal } from '../pid1/signals.ts';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `10s`, `2m`, `1h`, or plain seconds (`30`, `0.5`); in milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000));
}

export const duration = makeValidator<number>((input) => {
  const ms = parseDuration(input);
  if (ms === undefined) throw new EnvError(`"${input}" is not a duration (use 500ms, 10s, 2m or plain seconds)`);
  return ms;
});

export const signal = makeValidator<NodeJS.Signals>((input) => {
  const name = parseSignal(input);
  if (name === undefined) throw new EnvError(`"${input}" is not a signal (use TERM, SIGINT or a number)`);
  return name;
});

export const positiveInt = makeValidator<number>((input) => {
  if (!/^\d+$/.test(input.trim()) || Number(input) < 1) throw new EnvError(`"${input}" is not a whole number of at least 1`);
  return Number(input);
});

export const nonNegativeInt = makeValidator<number>((input) => {
  if (!/^\d+$/.test(input.trim())) throw new EnvError(`"${input}" is not a whole number of at least 0`);
  return Number(input);
});
