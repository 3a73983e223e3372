// How an instance's end and a failed start read in the log and in `--reload`'s answer.
import type { ProcessEnd, StartFailure } from './instance-lifecycle.ts';

export function describeEnd(end: ProcessEnd): string {
  return end.signal ? `killed by ${end.signal}` : `code ${end.exitCode}`;
}

export function describeFailure(failure: StartFailure): string {
  if (failure.kind === 'timeout') return `not ready within ${failure.afterMs} ms`;
  if (failure.kind === 'spawn-error') return failure.message;
  if (failure.kind === 'crashed') return `exited (${describeEnd(failure.end)}) before the rest of its generation was ready`;
  return `exited before it was ready (${describeEnd(failure.end)})`;
}
