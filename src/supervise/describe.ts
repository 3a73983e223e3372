// How an instance's end and a failed start read in the log and in `--reload`'s answer.
import type { InstanceFailure, ProcessEnd } from './instance-lifecycle.ts';

export function describeEnd(end: ProcessEnd): string {
  return end.signal ? `killed by ${end.signal}` : `code ${end.exitCode}`;
}

export function describeFailure(failure: InstanceFailure): string {
  if (failure.kind === 'timeout') return `not ready within ${failure.afterMs} ms`;
  if (failure.kind === 'watchdog') return `failed its watchdog: no keep-alive for ${failure.silentMs} ms`;
  if (failure.kind === 'watchdog-trigger') return 'failed its watchdog: it sent WATCHDOG=trigger';
  if (failure.kind === 'spawn-error') return failure.message;
  if (failure.kind === 'crashed') return `exited (${describeEnd(failure.end)}) before the rest of its generation was ready`;
  return `exited before it was ready (${describeEnd(failure.end)})`;
}
