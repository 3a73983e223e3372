// baton's entrypoint: `node init.js`. Decides the mode, loading only what it needs.
import { holdSignals } from './pid1/early-signals.ts';
import { execStepOf } from './pid1/exec-step.ts';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const step = execStepOf(args);
  if (step === undefined) holdSignals();
  else {
    const { runExecStep } = await import('./pid1/exec-step.ts');
    await runExecStep(step, args.slice(1));
    return;
  }

  const { parseInvocation } = await import('./cli/args.ts');
  const invocation = parseInvocation(args, process.env);
  if (invocation.kind !== 'single-command' && invocation.kind !== 'supervisor') {
    // A query or a usage error: Ctrl-C must work as for any command.
    const { releaseSignals } = await import('./pid1/early-signals.ts');
    for (const signal of releaseSignals()) process.kill(process.pid, signal);
  }
  switch (invocation.kind) {
    case 'help': {
      const { USAGE } = await import('./cli/usage.ts');
      process.stdout.write(USAGE);
      return;
    }
    case 'version': {
      const { VERSION } = await import('./cli/usage.ts');
      process.stdout.write(`baton ${VERSION}\n`);
      return;
    }
    case 'license': {
      const { LICENSE } = await import('./cli/usage.ts');
      process.stdout.write(LICENSE);
      return;
    }
    case 'usage-error': {
      const { USAGE } = await import('./cli/usage.ts');
      process.stderr.write(`${invocation.message ? `baton: ${invocation.message}\n` : ''}${USAGE}`);
      process.exitCode = 1;
      return;
    }
    case 'single-command': {
      const { runSingleCommand } = await import('./modes/single-command.ts');
      await runSingleCommand(invocation.flags, invocation.command);
      return;
    }
    case 'supervisor': {
      const { runSupervisor } = await import('./modes/supervisor.ts');
      await runSupervisor(invocation.flags);
      return;
    }
    case 'check': {
      const { loadConfigOrExit, refuseRuntimeDirOrExit } = await import('./modes/supervisor.ts');
      const { formatPlan } = await import('./config/services.ts');
      const plan = loadConfigOrExit();
      refuseRuntimeDirOrExit();
      process.stdout.write(formatPlan(plan));
      return;
    }
    case 'status':
    case 'health':
    case 'reload': {
      const { runQuery } = await import('./modes/query.ts');
      process.exitCode = await runQuery(invocation.kind, invocation.kind !== 'health' && invocation.json);
      return;
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`baton: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
