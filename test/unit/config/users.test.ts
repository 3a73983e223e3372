// USER: a name or id, with an optional group, resolved against /etc/passwd and /etc/group.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readSupervisorConfig } from '../../../src/config/services.ts';
import { oneError, service, WEB } from '../../helpers/read-config.ts';

describe('USER forms against /etc/passwd and /etc/group', () => {
  const cases: Array<[string, unknown]> = [
    ['app', { uid: 1000, gid: 1001, spec: 'app', name: 'app', home: '/home/app' }],
    ['root', { uid: 0, gid: 0, spec: 'root', name: 'root', home: '/root' }],
    ['1000', { uid: 1000, gid: 1001, spec: '1000', name: 'app', home: '/home/app' }],
    ['2000', { uid: 2000, gid: 2000, spec: '2000' }],
    ['app:staff', { uid: 1000, gid: 50, spec: 'app:staff', name: 'app', home: '/home/app' }],
    ['app:60', { uid: 1000, gid: 60, spec: 'app:60', name: 'app', home: '/home/app' }],
    ['2000:3000', { uid: 2000, gid: 3000, spec: '2000:3000' }],
    ['2000:web', { uid: 2000, gid: 60, spec: '2000:web' }],
    ['daemon', { uid: 1, gid: 1, spec: 'daemon', name: 'daemon' }],
    ['nobody', { uid: 65534, gid: 65534, spec: 'nobody', name: 'nobody', home: '/nonexistent' }],
  ];
  for (const [text, user] of cases) {
    test(text, () => assert.deepEqual(service({ ...WEB, BATON_WEB_USER: text }).user, user));
  }

  const bad: Array<[string, RegExp]> = [
    ['ghost', /"ghost": unknown user "ghost" \(not in \/etc\/passwd\); use name, uid, name:group, uid:gid, name:gid or uid:group/],
    ['broken', /unknown user "broken"/],
    ['#ghost', /unknown user "#ghost"/],
    ['app:wheel', /unknown group "wheel" \(not in \/etc\/group\)/],
    ['ghost:staff', /unknown user "ghost"/],
    ['app:', /"app:" is not a user/],
    [':staff', /":staff" is not a user/],
    ['a:b:c', /"a:b:c" is not a user/],
    ['4294967295', /uid 4294967295 is above 2147483647/],
    ['1:4294967296', /gid 4294967296 is above/],
    // Node's spawn takes a signed 32-bit id: these used to pass --check and fail at spawn.
    ['3000000000', /uid 3000000000 is above 2147483647/],
    ['2147483648', /uid 2147483648 is above 2147483647/],
    ['1:2147483648', /gid 2147483648 is above 2147483647/],
  ];
  for (const [text, pattern] of bad) {
    test(`${text} is refused`, () => {
      oneError({ ...WEB, BATON_WEB_USER: text }, 'BATON_WEB_USER', pattern);
    });
  }

  test('without files given, the real /etc/passwd is read (a missing one knows no one)', () => {
    const { errors } = readSupervisorConfig({ ...WEB, BATON_WEB_USER: 'baton-no-such-user-x7' });
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /^BATON_WEB_USER: .*unknown user "baton-no-such-user-x7"/);
  });
});
