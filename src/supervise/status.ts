// What --status shows of a generation: each slot's instances, and the slots a paced
// reload has yet to start.
import type { GenerationStatus, InstanceStatus } from '../control/protocol.ts';
import type { Generation, QueuedSlot } from './generation.ts';
import type { Slot } from './slot.ts';
import type { Supervised } from './supervised.ts';

/** An instance's resident bytes at the last MAX_MEMORY sample; null without a limit. */
export type RssOf = (instance: Supervised) => number | null;

export function generationStatus(generation: Generation, state: GenerationStatus['state'], rssOf: RssOf = () => null): GenerationStatus {
  return {
    number: generation.number,
    state,
    startedAt: generation.startedAt,
    // A slot replacing an instance above MAX_MEMORY shows both: the replacement and the one it replaces.
    instances: [...generation.slots.flatMap((slot) => slot.instances.map((instance) => instanceStatus(slot, instance, rssOf))), ...generation.queued.map((slot) => queuedStatus(slot, generation.number))],
  };
}

function instanceStatus(slot: Slot, instance: Supervised, rssOf: RssOf): InstanceStatus {
  const { state } = instance;
  return {
    service: slot.service.name,
    instance: slot.index,
    generation: instance.generation,
    pid: instance.pid ?? null,
    state: state.phase,
    since: state.since,
    readySince: state.phase === 'ready' ? state.since : null,
    restarts: slot.restarts,
    restartsBy: slot.restartsBy,
    lastKeepAlive: state.phase === 'ready' ? (state.keptAliveAt ?? null) : null,
    lastStatus: instance.lastStatus ?? null,
    rss: rssOf(instance),
  };
}

function queuedStatus(slot: QueuedSlot, generation: number): InstanceStatus {
  return { service: slot.service.name, instance: slot.index, generation, pid: null, state: 'queued', since: null, readySince: null, restarts: 0, restartsBy: {}, lastKeepAlive: null, lastStatus: null, rss: null };
}
