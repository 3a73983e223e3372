// systemd's KEY=VALUE text, which both notify channels carry, and the size limit of a message.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NOTIFY_BYTES, parseSystemdText, withinSizeLimit } from '../../../src/readiness/messages.ts';

describe('parseSystemdText', () => {
  test('a datagram with READY and STATUS', () => {
    assert.deepEqual(parseSystemdText('READY=1\nSTATUS=Serving\n'), { raw: 'READY=1\nSTATUS=Serving\n', ready: true, status: 'Serving' });
  });

  test('STOPPING=1 and RELOADING=1', () => {
    assert.deepEqual(parseSystemdText('STOPPING=1'), { raw: 'STOPPING=1', stopping: true });
    assert.deepEqual(parseSystemdText('RELOADING=1\nMONOTONIC_USEC=123'), { raw: 'RELOADING=1\nMONOTONIC_USEC=123', reloading: true });
  });

  test('unknown keys are kept only in raw', () => {
    const text = 'MAINPID=42\nERRNO=2\nWATCHDOG_USEC=5\nBARRIER=1';
    assert.deepEqual(parseSystemdText(text), { raw: text });
  });

  test('flags mean something only as 1', () => {
    assert.deepEqual(parseSystemdText('READY=0\nSTOPPING=yes\nRELOADING=\nWATCHDOG=yes'), { raw: 'READY=0\nSTOPPING=yes\nRELOADING=\nWATCHDOG=yes' });
  });

  test('WATCHDOG=1 is a keep-alive, WATCHDOG=trigger fails the instance', () => {
    assert.deepEqual(parseSystemdText('WATCHDOG=1'), { raw: 'WATCHDOG=1', keepAlive: true });
    assert.deepEqual(parseSystemdText('WATCHDOG=trigger'), { raw: 'WATCHDOG=trigger', watchdogTrigger: true });
    assert.deepEqual(parseSystemdText('STATUS=busy\nWATCHDOG=1'), { raw: 'STATUS=busy\nWATCHDOG=1', status: 'busy', keepAlive: true });
  });

  test('a STATUS keeps every character after the first =, and the last STATUS wins', () => {
    assert.equal(parseSystemdText('STATUS=a=b c').status, 'a=b c');
    assert.equal(parseSystemdText('STATUS=first\nSTATUS=second').status, 'second');
    assert.equal(parseSystemdText('STATUS=').status, '');
  });

  test('an empty datagram says nothing, and lines without = are ignored', () => {
    assert.deepEqual(parseSystemdText(''), { raw: '' });
    assert.deepEqual(parseSystemdText('READY\n=1'), { raw: 'READY\n=1' });
  });
});

describe('withinSizeLimit', () => {
  test('a message of up to 4096 bytes is kept whole', () => {
    const message = parseSystemdText(`STATUS=${'x'.repeat(MAX_NOTIFY_BYTES - 'STATUS='.length)}`);
    assert.equal(withinSizeLimit(message), message);
  });

  test('a longer one is ignored, as systemd does: an error with an excerpt, no status, no ready', () => {
    const limited = withinSizeLimit(parseSystemdText(`READY=1\nSTATUS=${'y'.repeat(60_000)}`));
    assert.match(limited.error ?? '', /60015 bytes, longer than 4096/);
    assert.equal(limited.status, undefined);
    assert.equal(limited.ready, undefined);
    assert.ok(limited.raw.length <= 200);
  });
});
