// Who may speak for an instance on its notify socket, as systemd's NotifyAccess=all for a
// unit's own processes: the instance's process group or session. An instance's pid is the
// id of both (it is started in a process group of its own), so its main process, any
// child or helper it runs (systemd-notify, a shell's subprocess) counts; another instance,
// or any other process that found the socket, does not.
import { processInfo } from '../pid1/process-tree.ts';

/**
 * `leader` is the instance's pid, undefined before it is spawned. A sender that is gone
 * by the time its datagram is read cannot be placed, and does not count: clients that
 * exit right after sending should wait for the read, as systemd-notify's BARRIER=1 does.
 */
export function mayNotify(sender: number | undefined, leader: number | undefined): boolean {
  if (sender === undefined || leader === undefined) return false;
  if (sender === leader) return true;
  const ids = processInfo(sender);
  return ids !== undefined && (ids.pgid === leader || ids.sid === leader);
}
