// The text `node /init.js --check` prints: what the init would run, with every default
// spelled out, so that a reader can check the configuration without starting anything.
import { formatHostPort } from './endpoints.ts';
import { holdsSingleton, SINGLETON_VARIABLE } from './singleton.ts';
import { startWaves } from './start-order.ts';
import type { Listen, Readiness, RunAs, ServiceConfig, SupervisorConfig } from './types.ts';
import { maskedUrl } from '../readiness/masked-url.ts';
import { byCodeUnit } from './variables.ts';

const LABEL_WIDTH = 16;

export function formatPlan(config: SupervisorConfig): string {
  const { globals, services } = config;
  const lines = [
    'globals',
    row('ready timeout', formatDuration(globals.readyTimeoutMs)),
    row('stop timeout', formatDuration(globals.stopTimeoutMs)),
    row('log level', globals.logLevel),
    row('log format', globals.logFormat),
    row('output', globals.output),
    row('max restarts', String(globals.maxRestarts)),
    row('reload starts', Number.isFinite(globals.reloadParallel) ? `${globals.reloadParallel} new instance${globals.reloadParallel === 1 ? '' : 's'} at a time` : 'all new instances at once'),
    row('control socket', globals.controlSocket ?? '/run/baton/control.sock (a private temp folder when /run is not writable)'),
    row('shutdown delay', globals.shutdownDelayMs === 0 ? 'none' : `${formatDuration(globals.shutdownDelayMs)} (--health 1, services running) before the stop signals`),
    row('start order', startWaves(services).map((wave) => wave.join(', ')).join('; then ')),
  ];
  for (const service of services) lines.push('', ...serviceLines(service));
  return `${lines.join('\n')}\n`;
}

function serviceLines(service: ServiceConfig): string[] {
  const oneshot = service.type === 'oneshot';
  return [
    `service ${service.name}`,
    row('type', oneshot ? 'oneshot (done when it exits 0; never restarted; runs again on every reload)' : 'service'),
    row('argv', JSON.stringify(service.argv)),
    row('count', service.countAuto === undefined ? String(service.count) : `${service.count} (auto: ${service.countAuto})`),
    row('instance var', service.instanceVar === undefined ? 'none' : `${service.instanceVar} (0 to ${service.count - 1})`),
    row('singleton', holdsSingleton(service, 1) ? `instance 1 gets ${SINGLETON_VARIABLE}=1` : oneshot ? 'none (a oneshot)' : 'none (RELOAD=replace runs two instance 1s during a reload)'),
    ...(oneshot ? [] : [row('readiness', formatReadiness(service.readiness))]),
    row(oneshot ? 'time limit' : 'ready timeout', formatDuration(service.readyTimeoutMs)),
    row('stop', `${service.stopSignal}, timeout ${formatDuration(service.stopTimeoutMs)}`),
    ...(oneshot ? [] : [row('restart', service.restart)]),
    row('user', service.user ? formatUser(service.user) : "the init's"),
    row('cwd', service.cwd ?? "the init's"),
    // Names only: values may be secrets, and --check output ends up in CI logs.
    row('env', service.env === undefined ? "the init's" : `the init's, and sets ${Object.keys(service.env).sort(byCodeUnit).join(', ')}`),
    ...(oneshot ? [] : [row('reload', service.reload)]),
    row('listen', service.listen ? formatListen(service.listen) : 'none'),
    ...(service.listenShim && service.listen?.kind === 'tcp' ? [row('listen shim', `yes: PORT=${service.listen.port}, and the first listen on it takes the socket`)] : []),
    ...(oneshot ? [] : [row('watchdog', service.watchdogMs === undefined ? 'none' : `keep-alive within ${formatDuration(service.watchdogMs)} once ready`)]),
    row('after', service.after.length === 0 ? 'none' : service.after.join(', ')),
    row('essential', service.essential ? 'yes: when it ends for good, everything stops and the init exits with its code' : 'no'),
    ...(oneshot ? [] : [row('max memory', service.maxMemoryBytes === undefined ? 'none' : `${formatSize(service.maxMemoryBytes)} (${service.maxMemoryBytes} bytes) resident per instance, replaced above it`)]),
  ];
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(LABEL_WIDTH)}${value}`;
}

/** The largest unit that divides evenly, as the variables are usually written: 30s, 2m, 500ms. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The largest 1024-based unit that divides evenly, as MAX_MEMORY is usually written: 512M, 1G. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}B`;
}

function formatReadiness(readiness: Readiness): string {
  switch (readiness.kind) {
    case 'none':
    case 'notify':
      return readiness.kind;
    case 'ipc':
      return "ipc (process.send('ready'))";
    case 'tcp':
      return `tcp ${formatHostPort(readiness.host, readiness.port)}`;
    case 'http':
      return `http ${maskedUrl(readiness.url)}`;
  }
}

function formatUser(user: RunAs): string {
  const home = user.home ? `, home ${user.home}` : '';
  return `${user.spec} (${user.uid}:${user.gid}${home})`;
}

function formatListen(listen: Listen): string {
  return listen.kind === 'tcp' ? `tcp ${formatHostPort(listen.host, listen.port)}` : `unix ${listen.path}`;
}
