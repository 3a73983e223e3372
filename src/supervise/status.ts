// What --status shows of a generation: each slot's instance, and the slots a paced
// reload has yet to start.
import type { GenerationStatus, InstanceStatus } from '../control/protocol.ts';
import type { Generation, QueuedSlot } from './generation.ts';
import type { Slot } from './slot.ts';

export function generationStatus(generation: Generation, state: GenerationStatus['state']): GenerationStatus {
  return {
    number: generation.number,
    state,
    startedAt: generation.startedAt,
    instances: [...generation.slots.map(slotStatus), ...generation.queued.map((slot) => queuedStatus(slot, generation.number))],
  };
}

function slotStatus(slot: Slot): InstanceStatus {
  const { instance } = slot;
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
  };
}

function queuedStatus(slot: QueuedSlot, generation: number): InstanceStatus {
  return { service: slot.service.name, instance: slot.index, generation, pid: null, state: 'queued', since: null, readySince: null, restarts: 0, restartsBy: {}, lastKeepAlive: null, lastStatus: null };
}
