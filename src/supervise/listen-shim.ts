// LISTEN_SHIM: what an instance's environment gets so that an unmodified `listen(PORT)`
// takes the socket the init holds (the shim itself is src/shim/listen-shim.ts, run in the child).
import { dirname, join } from 'node:path';

/** Built beside init.js (scripts/build.mjs), so that it is found wherever dist/ is copied: /init.js, /listen-shim.cjs in an image. */
export const LISTEN_SHIM_FILE = 'listen-shim.cjs';

// The bundle runs as the main script: Node sets argv[1] to its absolute path.
export function listenShimPath(initScript = process.argv[1] ?? '/init.js'): string {
  return join(dirname(initScript), LISTEN_SHIM_FILE);
}

/**
 * Sets PORT, and appends the shim's preload to NODE_OPTIONS: whatever the user put there
 * stays, before it. The path is quoted as NODE_OPTIONS reads quotes, so a space in it is kept.
 */
export function addListenShim(env: Record<string, string | undefined>, port: number, shimPath = listenShimPath()): void {
  env.PORT = String(port);
  const preload = `--require "${shimPath.replace(/["\\]/g, '\\$&')}"`;
  const existing = env.NODE_OPTIONS?.trim();
  env.NODE_OPTIONS = existing ? `${existing} ${preload}` : preload;
}
