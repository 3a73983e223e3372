// Readiness and status for the examples, over NOTIFY_PIPE in async-container's JSON
// format (baton also accepts systemd's `READY=1` lines and s6's bare newline there).
import { writeSync } from 'node:fs';

const fd = process.env.NOTIFY_PIPE === undefined ? undefined : Number(process.env.NOTIFY_PIPE);

export function notify(message) {
  if (fd === undefined) return;
  try {
    writeSync(fd, `${JSON.stringify(message)}\n`);
  } catch {
    // the init is gone or did not ask for notifications: nothing to tell
  }
}
