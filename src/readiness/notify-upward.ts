// Readiness reported upward: what the init itself tells the manager it runs under
// (systemd or podman through NOTIFY_SOCKET, async-container or another baton through
// NOTIFY_PIPE), in each channel's own form. The channels are notify-upward-socket.ts
// and notify-upward-pipe.ts; this file says what is sent, and keeps a channel that
// fails from ever stopping the init or flooding its log.

/** One thing the init reports about itself. */
export type UpwardMessage =
  | { kind: 'ready'; status: string }
  | { kind: 'reloading'; status: string; /** CLOCK_MONOTONIC when the reload began, which systemd requires with RELOADING=1. */ monotonicUsec: bigint }
  | { kind: 'stopping'; status: string }
  | { kind: 'keep-alive' };

/**
 * sd_notify(3)'s form, as systemd-notify sends it: newline-separated KEY=VALUE
 * assignments in one datagram.
 */
export function systemdText(message: UpwardMessage): string {
  switch (message.kind) {
    case 'ready':
      return `READY=1\nSTATUS=${oneLine(message.status)}`;
    case 'reloading':
      return `RELOADING=1\nMONOTONIC_USEC=${message.monotonicUsec}\nSTATUS=${oneLine(message.status)}`;
    case 'stopping':
      return `STOPPING=1\nSTATUS=${oneLine(message.status)}`;
    case 'keep-alive':
      return 'WATCHDOG=1';
  }
}

/**
 * async-container's form (its Notify::Pipe client): one JSON object a line. Its
 * `reloading!` says ready:false with reloading:true, and its `healthy!` is the keep-alive.
 */
export function pipeLine(message: UpwardMessage): string {
  switch (message.kind) {
    case 'ready':
      return `${JSON.stringify({ ready: true, status: message.status })}\n`;
    case 'reloading':
      return `${JSON.stringify({ reloading: true, ready: false, status: message.status })}\n`;
    case 'stopping':
      return `${JSON.stringify({ stopping: true, status: message.status })}\n`;
    case 'keep-alive':
      return `${JSON.stringify({ healthy: true })}\n`;
  }
}

/** A line break inside a value would start another assignment. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** `generation 1 running: web x2, jobs x1`. */
export function runningStatus(generation: number, services: ReadonlyArray<{ name: string; count: number }>): string {
  return `generation ${generation} running: ${services.map((service) => `${service.name} x${service.count}`).join(', ')}`;
}

/** One way up. send() returns why a message could not go, or undefined once it went. */
export interface UpwardChannel {
  /** `NOTIFY_SOCKET=/run/notify` or `NOTIFY_PIPE=3`, for the log. */
  readonly name: string;
  send(message: UpwardMessage): string | undefined;
  close(): void;
}

/**
 * Sends each message on every channel. A channel that fails is reported once, and
 * is still tried for the messages after (the manager's socket may come back); nothing
 * it does reaches the caller.
 */
export class UpwardNotifier {
  private readonly warned = new Set<UpwardChannel>();

  constructor(
    private readonly channels: readonly UpwardChannel[],
    private readonly onFailure: (channel: string, reason: string) => void,
  ) {}

  get active(): boolean {
    return this.channels.length > 0;
  }

  send(message: UpwardMessage): void {
    for (const channel of this.channels) {
      let reason: string | undefined;
      try {
        reason = channel.send(message);
      } catch (error) {
        reason = (error as Error).message;
      }
      if (reason !== undefined && !this.warned.has(channel)) {
        this.warned.add(channel);
        this.onFailure(channel.name, reason);
      }
    }
  }

  close(): void {
    for (const channel of this.channels) channel.close();
  }
}
