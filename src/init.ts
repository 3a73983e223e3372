// baton's entrypoint: `node init.js`. Decides the mode, loading only what it needs, and is
// the one place that exits: every mode returns its exit code (src/pid1/exit-codes.ts).
import { holdSignals } from './pid1/early-signals.ts';
import { execStepOf } from './pid1/exec-step.ts';
import { EXIT_OK, EXIT_UNEXPECTED_ERROR, EXIT_USAGE } from './pid1/exit-codes.ts';
import type { Invocation } from './cli/args.ts';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const step = execStepOf(args);
  if (step !== undefined) return runExecStep(step, args.slice(1));
  holdSignals();
  const { parseInvocation } = await import('./cli/args.ts');
  const invocation = parseInvocation(args, process.env);
  if (invocation.kind !== 'single-command' && invocation.kind !== 'supervisor') await releaseHeldSignals();
  return run(invocation);
}

/** The exec step execs in place, or exits with 126/127 itself: it never returns. */
async function runExecStep(step: string, argv: string[]): Promise<never> {
  const { runExecStep } = await import('./pid1/exec-step.ts');
  return runExecStep(step, argv);
}

/** A query or a usage error: Ctrl-C must work as for any command. */
async function releaseHeldSignals(): Promise<void> {
  const { releaseSignals } = await import('./pid1/early-signals.ts');
  for (const signal of releaseSignals()) process.kill(process.pid, signal);
}

async function run(invocation: Invocation): Promise<number> {
  switch (invocation.kind) {
    case 'help':
      return write(process.stdout, (await import('./cli/usage.ts')).USAGE, EXIT_OK);
    case 'version':
      return write(process.stdout, `baton ${(await import('./cli/usage.ts')).VERSION}\n`, EXIT_OK);
    case 'license':
      return write(process.stdout, (await import('./cli/usage.ts')).LICENSE, EXIT_OK);
    case 'usage-error': {
      const { USAGE } = await import('./cli/usage.ts');
      return write(process.stderr, `${invocation.message ? `baton: ${invocation.message}\n` : ''}${USAGE}`, EXIT_USAGE);
    }
    case 'single-command':
      return (await import('./modes/single-command.ts')).runSingleCommand(invocation.flags, invocation.command);
    case 'supervisor':
      return (await import('./modes/supervisor.ts')).runSupervisor(invocation.flags);
    case 'check':
      return (await import('./modes/check.ts')).runCheck();
    case 'status':
    case 'health':
    case 'live':
    case 'reload':
    case 'signal':
      return (await import('./modes/query.ts')).runQuery(invocation);
  }
}

function write(stream: NodeJS.WriteStream, text: string, code: number): number {
  stream.write(text);
  return code;
}

/** A bug: its stack, and exit 1. */
function crashed(error: unknown): number {
  process.stderr.write(`baton: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT_UNEXPECTED_ERROR;
}

void main()
  .catch(crashed)
  .then((code) => process.exit(code));
