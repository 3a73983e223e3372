// The order services start in, from BATON_<NAME>_AFTER: a service starts once every
// service it comes after is ready (or, for a oneshot, has completed), and stops before
// them. Services with no AFTER start together, as they always did.
import type { ConfigError } from './errors.ts';
import type { ServiceConfig } from './types.ts';

type Ordered = Pick<ServiceConfig, 'name' | 'key' | 'after'>;

/** An AFTER that names no declared service, or a cycle (which would start nothing): one error each. */
export function startOrderErrors(services: readonly Ordered[]): ConfigError[] {
  const byName = new Map(services.map((service) => [service.name, service]));
  const errors: ConfigError[] = [];
  for (const service of services) {
    const variable = `BATON_${service.key}_AFTER`;
    for (const name of service.after) {
      if (!byName.has(name)) errors.push({ variable, message: `${variable}: no service ${name} is declared (BATON_${name.toUpperCase()}_COMMAND is not set)` });
    }
  }
  if (errors.length > 0) return errors;
  const cycle = findCycle(services, byName);
  if (cycle === undefined) return [];
  const first = byName.get(cycle[0] ?? '') as Ordered;
  const variable = `BATON_${first.key}_AFTER`;
  const message = cycle.length === 2 ? `${variable}: ${first.name} comes after itself` : `${variable}: a cycle: ${cycle.join(' -> ')}; none of these could ever start (remove one of their AFTER names)`;
  return [{ variable, message }];
}

/** The services in waves: each wave starts once the waves before it are ready. For --check. */
export function startWaves(services: readonly Ordered[]): string[][] {
  const waves: string[][] = [];
  const placed = new Set<string>();
  let left = [...services];
  while (left.length > 0) {
    const wave = left.filter((service) => service.after.every((name) => placed.has(name)));
    if (wave.length === 0) break; // a cycle: refused by startOrderErrors before this is asked
    waves.push(wave.map((service) => service.name));
    for (const service of wave) placed.add(service.name);
    left = left.filter((service) => !placed.has(service.name));
  }
  return waves;
}

/** The first cycle found, as names from its first service back to it (`a`, `b`, `a`), in name order for stable messages. */
function findCycle(services: readonly Ordered[], byName: Map<string, Ordered>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    const at = path.indexOf(name);
    if (at !== -1) return [...path.slice(at), name];
    if (done.has(name)) return undefined;
    for (const next of [...(byName.get(name)?.after ?? [])].sort()) {
      const cycle = visit(next, [...path, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const service of [...services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const cycle = visit(service.name, []);
    if (cycle) return cycle;
  }
  return undefined;
}
