// Interactive use, as under `docker run -it IMAGE bash`: the child owns the terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURES, INIT, run } from '../helpers/init-process.ts';

const PTY = `${FIXTURES}/pty-run.py`;
const unshared = ['unshare', '--fork', '--pid', '--mount-proc', process.execPath, INIT, '--'];

test('the child is the foreground process group of the terminal', async () => {
  const exit = await run('python3', [PTY, 'never', '', '--', ...unshared, 'sh', '-c', 'ps -o pgid= -o tpgid= -p $$; exit 5']);
  assert.equal(exit.code, 5, exit.stdout);
  const [pgid, tpgid] = exit.stdout.trim().split(/\s+/).slice(-2);
  assert.ok(pgid !== undefined && pgid === tpgid, `child pgid ${pgid} should be the terminal's foreground group ${tpgid}:\n${exit.stdout}`);
});

test('Ctrl-C reaches the program in front, once', async () => {
  const program = "let n=0;process.on('SIGINT',()=>{n++;setTimeout(()=>{console.log('interrupts '+n);process.exit(7)},200)});console.log('waiting');setInterval(()=>{},1e3)";
  const exit = await run('python3', [PTY, 'waiting', '\\x03', '--', ...unshared, process.execPath, '-e', program]);
  assert.equal(exit.code, 7, exit.stdout);
  assert.match(exit.stdout, /interrupts 1/);
});

test('job control works in an interactive shell', async () => {
  // bash -i under the init: a background job is started and brought back with fg.
  const script = 'sleep 0.2 & fg %1 >/dev/null; echo "fg-status $?"; exit 3';
  const exit = await run('python3', [PTY, 'never', '', '--', ...unshared, 'bash', '--norc', '-i', '-c', script]);
  assert.equal(exit.code, 3, exit.stdout);
  assert.match(exit.stdout, /fg-status 0/);
  assert.doesNotMatch(exit.stdout, /no job control|cannot set terminal process group/);
});
