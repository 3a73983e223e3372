// BATON_SINGLETON=1: the one instance of a service that may do what must run once per
// container (a cron, a queue sweeper). An instance's environment is fixed at spawn, so the
// role can only be given where two holders can never run at the same time.
import type { ServiceConfig } from './types.ts';

export const SINGLETON_VARIABLE = 'BATON_SINGLETON';

/**
 * Whether this instance gets BATON_SINGLETON=1: instance 1 of a service whose instances never
 * overlap. RELOAD=restart stops the old instance before the new one starts (and a rollback
 * stops the new one before the old one starts again); RELOAD=signal keeps the same process;
 * a crashed instance is replaced only once it has exited. RELOAD=replace runs the old and the
 * new instance 1 side by side during a reload, so it never gets the role; nor does a oneshot,
 * which is itself the place for once-per-generation work.
 */
export function holdsSingleton(service: Pick<ServiceConfig, 'type' | 'reload'>, index: number): boolean {
  return index === 1 && service.type === 'service' && service.reload !== 'replace';
}
