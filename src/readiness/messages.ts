// What a service instance says about itself, whichever channel it said it on, and
// systemd's KEY=VALUE text, which both the notify socket and the notify pipe carry.

export interface NotifyMessage {
  ready?: boolean;
  status?: string;
  stopping?: boolean;
  reloading?: boolean;
  /** A watchdog keep-alive: systemd's WATCHDOG=1, or any async-container message on the pipe (async-container counts every one). */
  keepAlive?: boolean;
  /** WATCHDOG=trigger: the instance asks to be failed at once. */
  watchdogTrigger?: boolean;
  /** Set when the message could not be understood; the other fields are then unset. */
  error?: string;
  /** The message as received, so that keys baton does not act on can still be logged. */
  raw: string;
}

/** systemd drops a notify message longer than this; so does baton, whichever channel carried it. */
export const MAX_NOTIFY_BYTES = 4096;
const EXCERPT = 200;

/** The message itself when within MAX_NOTIFY_BYTES; otherwise an error that keeps an excerpt. */
export function withinSizeLimit(message: NotifyMessage): NotifyMessage {
  const bytes = Buffer.byteLength(message.raw);
  if (bytes <= MAX_NOTIFY_BYTES) return message;
  return { error: `message of ${bytes} bytes, longer than ${MAX_NOTIFY_BYTES} (systemd's limit): ignored`, raw: message.raw.slice(0, EXCERPT) };
}

/**
 * Parses an sd_notify(3) message: newline-separated KEY=VALUE assignments, as one
 * datagram or one line. Only the keys baton acts on are read; READY, STOPPING,
 * RELOADING and WATCHDOG mean something only as "1" (and WATCHDOG also as "trigger"),
 * as in systemd. A key given twice keeps its
 * last value, as systemd does.
 */
export function parseSystemdText(text: string): NotifyMessage {
  const message: NotifyMessage = { raw: text };
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const value = line.slice(eq + 1);
    switch (line.slice(0, eq)) {
      case 'READY':
        if (value === '1') message.ready = true;
        break;
      case 'STATUS':
        message.status = value;
        break;
      case 'STOPPING':
        if (value === '1') message.stopping = true;
        break;
      case 'RELOADING':
        if (value === '1') message.reloading = true;
        break;
      case 'WATCHDOG':
        if (value === '1') message.keepAlive = true;
        else if (value === 'trigger') message.watchdogTrigger = true;
        break;
    }
  }
  return message;
}
