// The `jobs` example: a worker that runs one job every couple of seconds. It reports
// ready once its (pretend) queue connection is up and finishes the job in hand on SIGTERM.
import { notify } from './notify.mjs';

const name = `jobs.${process.env.BATON_INSTANCE ?? '1'} (pid ${process.pid})`;
let done = 0;
let working;

function runJob() {
  working = setTimeout(() => {
    done += 1;
    console.log(`${name}: job ${done} done`);
    notify({ status: `${done} jobs done` });
    working = undefined;
    if (!stopping) schedule = setTimeout(runJob, 2_000);
  }, 300);
}

let stopping = false;
let schedule = setTimeout(() => {
  console.log(`${name}: connected to the queue`);
  notify({ ready: true, status: 'waiting for jobs' });
  runJob();
}, 200);

process.on('SIGTERM', () => {
  stopping = true;
  clearTimeout(schedule);
  if (working === undefined) process.exit(0);
  console.log(`${name}: finishing the job in hand`);
  const wait = setInterval(() => {
    if (working === undefined) {
      clearInterval(wait);
      process.exit(0);
    }
  }, 20);
});
