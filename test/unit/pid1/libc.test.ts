// The system-call module's own pieces: the unix socket address (what the kernel is given,
// and the paths it refuses), the errno check, and native memory shared with the kernel.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { abstractSocketAddress, check, libc, monotonicMicroseconds, nativeBytes, SocketPathRefused, setSocketOption, SOL_SOCKET, SO_REUSEADDR, strerror, UNIX_PATH_MAX_BYTES, unixSocketAddress } from '../../../src/pid1/libc.ts';

const { EBADF } = constants.errno;
const closeFn = libc.func('int close(int fd)');
const memsetFn = libc.func('void *memset(void *s, int c, size_t n)');

describe('unixSocketAddress', () => {
  test('sun_family AF_UNIX in host order, then the path and its NUL; the length counts the NUL', () => {
    const { address, length } = unixSocketAddress('/run/a.sock');
    assert.deepEqual([...address.subarray(0, 2)], [1, 0]);
    assert.equal(address.toString('utf8', 2, 2 + 11), '/run/a.sock');
    assert.equal(address[2 + 11], 0);
    assert.equal(length, 2 + 11 + 1);
    assert.equal(address.length, 2 + 108, 'a whole struct sockaddr_un');
  });

  test(`a path of ${UNIX_PATH_MAX_BYTES} bytes fits; one more is refused naming the path, its size and the limit`, () => {
    assert.equal(UNIX_PATH_MAX_BYTES, 107);
    const longest = `/${'x'.repeat(106)}`;
    assert.equal(unixSocketAddress(longest).length, 2 + 107 + 1);
    const tooLong = `${longest}y`;
    assert.throws(
      () => unixSocketAddress(tooLong),
      (error: Error) =>
        error instanceof SocketPathRefused &&
        error.path === tooLong &&
        error.message === `${tooLong}: File name too long: the path is 108 bytes, a unix socket path has at most 107` &&
        !error.reason.includes(tooLong),
    );
  });

  test('the limit is in bytes, not characters', () => {
    const accents = `/${'é'.repeat(54)}`; // 55 characters, 109 bytes
    assert.throws(() => unixSocketAddress(accents), (error: Error) => error.message.includes('109 bytes'));
    const fits = `/${'é'.repeat(53)}`; // 107 bytes
    assert.equal(unixSocketAddress(fits).length, 2 + 107 + 1);
  });

  test('a NUL byte is refused: the kernel would bind the path only up to it', () => {
    assert.throws(
      () => unixSocketAddress('/run/a\0b.sock'),
      (error: Error) => error instanceof SocketPathRefused && error.message === '/run/a\0b.sock: the path contains a NUL byte',
    );
  });

  test('an empty path is refused: it would ask for an abstract name', () => {
    assert.throws(() => unixSocketAddress(''), (error: Error) => error instanceof SocketPathRefused && /empty path/.test(error.message));
  });
});

describe('check', () => {
  test('a result other than -1 is returned as it is', () => {
    assert.equal(check('anything', 0), 0);
    assert.equal(check('anything', 7), 7);
  });

  test('-1 throws an Error naming the call and what errno says', () => {
    assert.throws(
      () => check('close(-1)', closeFn(-1)),
      (error: Error) => error.message === `close(-1): ${strerror(EBADF)}` && /Bad file descriptor/.test(error.message),
    );
  });

  test('setSocketOption names its call the same way', () => {
    assert.throws(
      () => setSocketOption('setsockopt on nothing', -1, SOL_SOCKET, SO_REUSEADDR, 1),
      (error: Error) => error.message === `setsockopt on nothing: ${strerror(EBADF)}`,
    );
  });
});

test('nativeBytes: what a system call writes through the pointer shows in the buffer', () => {
  const memory = nativeBytes(16);
  assert.equal(memory.bytes.length, 16);
  memsetFn(memory.pointer, 0xab, 16);
  assert.deepEqual([...memory.bytes], Array<number>(16).fill(0xab));
  memory.bytes.fill(0);
  memsetFn(memory.pointer, 0x01, 4);
  assert.equal(memory.bytes.readUInt32LE(0), 0x01010101);
  assert.equal(memory.bytes[4], 0);
});

describe('abstractSocketAddress', () => {
  test('a NUL first byte, then the name without a terminating NUL; the length counts exactly those bytes (as sd_notify sends to @name)', () => {
    const { address, length } = abstractSocketAddress('baton/notify');
    assert.deepEqual([...address.subarray(0, 2)], [1, 0]);
    assert.equal(address[2], 0);
    assert.equal(address.toString('utf8', 3, 3 + 12), 'baton/notify');
    assert.equal(length, 2 + 1 + 12);
  });

  test(`a name of ${UNIX_PATH_MAX_BYTES} bytes fits after the NUL; one more is refused`, () => {
    assert.equal(abstractSocketAddress('x'.repeat(107)).length, 2 + 108);
    assert.throws(() => abstractSocketAddress('x'.repeat(108)), SocketPathRefused);
  });
});

test('monotonicMicroseconds reads CLOCK_MONOTONIC, the clock of process.hrtime on Linux (libuv\'s uv_hrtime), in microseconds', () => {
  const before = process.hrtime.bigint() / 1000n;
  const now = monotonicMicroseconds();
  const after = process.hrtime.bigint() / 1000n;
  assert.ok(before <= now && now <= after, `${before} <= ${now} <= ${after}`);
});
