// Where the init keeps its runtime files: /run/baton when it can write there,
// else a private folder under the temporary directory. The client (`--status`,
// `--health`) looks in the same places.
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_DIR = '/run/baton';

function fallbackDir(): string {
  return join(tmpdir(), `baton-${process.getuid?.() ?? 'user'}`);
}

/** Creates the runtime folder if needed and returns it. */
export function runtimeDir(): string {
  try {
    mkdirSync(RUN_DIR, { recursive: true, mode: 0o755 });
    accessSync(RUN_DIR, constants.W_OK);
    return RUN_DIR;
  } catch {
    const dir = fallbackDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
}

/** The control socket the init listens on. */
export function serverSocketPath(explicit: string | undefined, runtime: string): string {
  return explicit ?? join(runtime, 'control.sock');
}

/** The control socket a client should talk to: the explicit one, else whichever default exists. */
export function clientSocketPath(explicit: string | undefined): string {
  if (explicit) return explicit;
  const primary = join(RUN_DIR, 'control.sock');
  if (existsSync(primary)) return primary;
  const fallback = join(fallbackDir(), 'control.sock');
  return existsSync(fallback) ? fallback : primary;
}
