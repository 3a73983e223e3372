// baton's entrypoint: `node init.js`. Decides the mode, loading only what it needs.
import { EXEC_STEP_VAR } from './pid1/exec-step.ts';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const step = process.env[EXEC_STEP_VAR];
  if (step !== undefined) {
    const { runExecStep } = await import('./pid1/exec-step.ts');
    await runExecStep(step, args);
    return;
  }

  const { parseInvocation } = await import('./cli/args.ts');
  const invocation = parseInvocation(args, process.env);
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
      const { loadConfigOrExit } = await import('./modes/supervisor.ts');
      const { formatPlan } = await import('./config/services.ts');
      process.stdout.write(formatPlan(loadConfigOrExit()));
      return;
    }
    case 'status':
    case 'health': {
      const { runQuery } = await import('./modes/query.ts');
      process.exitCode = await runQuery(invocation.kind, invocation.kind === 'status' && invocation.json);
      return;
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`baton: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
