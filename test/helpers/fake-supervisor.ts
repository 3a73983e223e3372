// A Supervisor over fake instances and a fake clock, for the unit tests of supervision.
import assert from 'node:assert/strict';
import type { ServiceConfig, SupervisorConfig } from '../../src/config/types.ts';
import { Supervisor } from '../../src/supervise/supervisor.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeInstance, silentLog } from './fake-instance.ts';

export function serviceConfig(name: string, extra: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    name,
    key: name.toUpperCase(),
    type: 'service',
    argv: ['true'],
    count: 1,
    readiness: { kind: 'notify' },
    readyTimeoutMs: 1000,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 500,
    restart: 'always',
    reload: 'replace',
    after: [],
    essential: false,
    ...extra,
  };
}

export function setup(services: ServiceConfig[], reloadParallel = Infinity, shutdownDelayMs = 0) {
  const clock = new FakeClock();
  const journal: string[] = [];
  const instances: FakeInstance[] = [];
  let nextPid = 100;
  /** The resident bytes the fake /proc shows for each process group (an instance's pid), and each read of it. */
  const rss = new Map<number, number>();
  const reads: number[][] = [];
  const config: SupervisorConfig = {
    globals: { readyTimeoutMs: 1000, stopTimeoutMs: 500, logLevel: 'silent', logFormat: 'json', output: 'inherit', maxRestarts: 5, reloadParallel, shutdownDelayMs },
    services,
  };
  const supervisor = new Supervisor(
    config,
    (service, index, generation, events) => {
      const instance = new FakeInstance(service, index, generation, events, clock, journal, nextPid++);
      instances.push(instance);
      return instance;
    },
    silentLog,
    clock,
    {
      readResident: (groups) => {
        reads.push([...groups]);
        return new Map([...groups].flatMap((group) => (rss.has(group) ? [[group, rss.get(group) as number] as const] : [])));
      },
    },
  );
  const of = (generation: number): FakeInstance[] => instances.filter((i) => i.generation === generation);
  return { clock, journal, instances, supervisor, of, rss, reads };
}

/** Lets promise callbacks run (the supervisor awaits between steps). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export async function startLive(services: ServiceConfig[], reloadParallel = Infinity, shutdownDelayMs = 0) {
  const world = setup(services, reloadParallel, shutdownDelayMs);
  const running = world.supervisor.run();
  await settle();
  for (const instance of world.of(1)) instance.ready();
  await settle();
  assert.equal(world.supervisor.healthy, true);
  return { ...world, running };
}
