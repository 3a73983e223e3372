// The `migrate` example: a task that runs before `web` (BATON_MIGRATE_TYPE=oneshot,
// BATON_WEB_AFTER=migrate). It pretends to apply the schema's migrations and exits 0;
// with MIGRATE_FAIL_FILE present it fails as a broken migration would, and exits 3.
import { existsSync } from 'node:fs';

const generation = process.env.BATON_GENERATION ?? '1';
const steps = ['create table jobs', 'add column jobs.done_at'];

for (const [index, step] of steps.entries()) {
  await new Promise((resolve) => setTimeout(resolve, 150));
  if (process.env.MIGRATE_FAIL_FILE && existsSync(process.env.MIGRATE_FAIL_FILE) && index === 1) {
    console.error(`migrate (generation ${generation}): migration ${index + 1} failed: ${step}: column already exists`);
    process.exit(3);
  }
  console.log(`migrate (generation ${generation}): migration ${index + 1} applied: ${step}`);
}
console.log(`migrate (generation ${generation}): schema up to date`);
