/**
 * The launch cache entry as the k3s wrapper uses it: sourced by the real /bin/sh, it runs the
 * hand-over while every recorded input holds, and returns (so the launcher runs) when any changed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordingProbe, type Probe } from '../../../src/preflight/index.js';
import { accessOf, claimCachedLaunch, dropLaunchEntry, grepLines, userLinesOf, inputsFromProbe, LAUNCH_NOTICE_ENV, LAUNCHED_FROM_ENV, launchEntryPath, shellQuote, statLines, writeLaunchEntry, type LaunchInputs } from '../../../src/rootless/launch-cache.js';
import { tempDir } from '../../helpers/index.js';

const KEY = 'a'.repeat(64);

/** Sources `entry` in /bin/sh as the wrapper does: its hand-over prints HIT, a return prints MISS. */
function source(entry: string): string {
  return execFileSync('/bin/sh', ['-c', '. "$1"; echo MISS', 'sh', entry], { encoding: 'utf8' }).trim();
}

function fixture(t: Parameters<typeof tempDir>[0]): { dir: string; entry: string; inputs: LaunchInputs; write: (notice?: string) => void } {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'config.yaml'), 'node-label: [a=b]\n');
  writeFileSync(join(dir, 'sysctl'), '1024\n');
  const inputs: LaunchInputs = {
    files: [join(dir, 'config.yaml'), join(dir, 'missing.yaml.d')],
    values: [join(dir, 'sysctl')],
    access: [dir, join(dir, 'bus')],
    absent: [join(dir, 'api.sock')],
  };
  const entry = join(dir, 'cache', `${KEY}.sh`);
  const handOver = `export _K3S_ROOTLESS_CHILD=1\nexec printf 'HIT %s|%s' "$${LAUNCHED_FROM_ENV}" "$${LAUNCH_NOTICE_ENV}"\n`;
  const write = (notice?: string): void => void writeLaunchEntry(entry, { inputs, handOver, description: 'a test', ...(notice ? { notice } : {}) });
  return { dir, entry, inputs, write };
}

test('an entry runs the hand-over while its inputs hold, passing the entry and the notice on, and marks the try', (t) => {
  const { entry, write } = fixture(t);
  write("cgroups: it's degraded");
  assert.equal(source(entry), `HIT ${entry}|cgroups: it's degraded`);
  assert.ok(existsSync(`${entry}.trying`), 'the try is marked until the server inside claims it');
  assert.equal(statSync(entry).mode & 0o777, 0o600);
  assert.equal(statSync(join(entry, '..')).mode & 0o777, 0o700);
  // Writing it again (the launcher after a failed try) clears the mark.
  write();
  assert.ok(!existsSync(`${entry}.trying`));
  assert.equal(source(entry), `HIT ${entry}|`);
});

test('an entry returns when a file it depends on changes, appears, or a value does', (t) => {
  const { dir, entry, write } = fixture(t);
  write();
  appendFileSync(join(dir, 'config.yaml'), 'debug: true\n');
  assert.equal(source(entry), 'MISS', 'changed config file');

  write();
  execFileSync('mkdir', [join(dir, 'missing.yaml.d')]);
  assert.equal(source(entry), 'MISS', 'a drop-in directory appeared');

  write();
  writeFileSync(join(dir, 'sysctl'), '0\n');
  assert.equal(source(entry), 'MISS', 'changed sysctl value');

  write();
  writeFileSync(join(dir, 'bus'), '');
  assert.equal(source(entry), 'MISS', 'a runtime file appeared (by kind, not identity)');

  write();
  writeFileSync(join(dir, 'api.sock'), '');
  assert.equal(source(entry), 'MISS', 'another instance is running');
});

test('the fingerprint is formatted exactly as the stat and grep commands the entry runs print it', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'no-newline'), 'a\nb');
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'setuid'), '#!/bin/sh\n', { mode: 0o4755 });
  execFileSync('chmod', ['4755', join(dir, 'setuid')]);
  const files = ['/etc/passwd', '/dev/null', '/proc/sys/user/max_user_namespaces', dir, join(dir, 'no-newline'), join(dir, 'empty'), join(dir, 'setuid'), join(dir, 'missing'), '/'];
  // Run in a shell like the entry is: /proc/self/cgroup is then read by a process in the same cgroup.
  const shell = (command: string, paths: readonly string[]): string => execFileSync('/bin/sh', ['-c', `printf %s "$(${command} "$@" 2>/dev/null)"`, 'sh', ...paths], { encoding: 'utf8' });
  assert.equal(statLines(files), shell("stat -L -c '%n %d %i %s %.9Y %.9Z %a %u %g' --", files));
  const values = [...files, '/proc/self/cgroup'];
  assert.equal(grepLines(values), shell("grep -s -H '' --", values));
  // The access signature, against the fragment's own shell function.
  const entry = join(dir, 'cache', `${KEY}.sh`);
  const accessPaths = ['/dev/null', '/dev/net/tun', dir, join(dir, 'empty'), join(dir, 'missing')];
  writeLaunchEntry(entry, { inputs: { files: [], values: [], access: accessPaths, absent: [] }, handOver: 'exec echo HIT\n', description: 'access' });
  assert.equal(source(entry), 'HIT');
  assert.deepEqual(accessPaths.map(accessOf), ['crw', 'crw', 'drw', 'frw', '-']);
});

test('writing an entry anew says which of its inputs changed since the last one', (t) => {
  const { dir, entry, inputs } = fixture(t);
  const write = (handOver = 'exec true\n'): { readonly changed: readonly string[] } | undefined => writeLaunchEntry(entry, { inputs, handOver, description: 'a test' });
  assert.equal(write(), undefined, 'nothing to compare with at first');
  assert.deepEqual(write(), { changed: [] }, 'an entry written again with nothing changed (its start failed, or an instance ran)');
  appendFileSync(join(dir, 'config.yaml'), 'debug: true\n');
  writeFileSync(join(dir, 'sysctl'), '0\n');
  assert.deepEqual(write('exec false\n')?.changed, ['the rootlesskit command', join(dir, 'config.yaml'), join(dir, 'sysctl')]);
});

test('of /etc/subuid and the like only the user\'s own lines count: other users come and go', (t) => {
  const dir = tempDir(t);
  const subuid = join(dir, 'subuid');
  writeFileSync(subuid, 'alice:100000:65536\n1001:300000:65536\n');
  const entry = join(dir, 'cache', `${KEY}.sh`);
  const write = (): void => void writeLaunchEntry(entry, { inputs: { files: [], values: [], access: [], absent: [], userLines: { files: [subuid], name: 'bo.b', uid: 1001 } }, handOver: 'exec echo HIT\n', description: 'user lines' });
  writeFileSync(subuid, 'alice:100000:65536\n  bo.b:200000:65536\n1001:300000:65536\n');
  write();
  appendFileSync(subuid, 'carol:400000:65536\nboxb:500000:65536\n');
  assert.equal(source(entry), 'HIT', 'another user was added');
  writeFileSync(subuid, 'alice:100000:65536\n  bo.b:200000:65536\n');
  assert.equal(source(entry), 'MISS', 'a range of this user (by uid) went');
  write();
  assert.equal(source(entry), 'HIT');
  const shell = execFileSync('/bin/sh', ['-c', `printf %s "$(grep -s -H -E -- '^[[:space:]]*(bo\\.b|1001):' "$1")"`, 'sh', subuid], { encoding: 'utf8' });
  assert.equal(userLinesOf(subuid, 'bo.b', 1001), shell);
  assert.equal(shell, `${subuid}:  bo.b:200000:65536`);
});

test('dropLaunchEntry removes the entry and its mark; old entries are pruned beyond eight', (t) => {
  const { entry, inputs } = fixture(t);
  const cache = join(entry, '..');
  for (let i = 0; i < 10; i++) {
    writeLaunchEntry(join(cache, `${String(i).repeat(64)}.sh`), { inputs, handOver: 'exec true\n', description: `entry ${i}` });
  }
  const left = readdirSync(cache).filter((n) => n.endsWith('.sh'));
  assert.equal(left.length, 8);
  const gone = join(cache, `${'9'.repeat(64)}.sh`);
  writeFileSync(`${gone}.trying`, '');
  dropLaunchEntry(gone);
  assert.ok(!existsSync(gone) && !existsSync(`${gone}.trying`));
});

test('claimCachedLaunch clears the mark and the private variables; nothing to claim without them', (t) => {
  const { entry, write } = fixture(t);
  write('degraded');
  source(entry);
  const env: NodeJS.ProcessEnv = { [LAUNCHED_FROM_ENV]: entry, [LAUNCH_NOTICE_ENV]: 'degraded', PATH: '/bin' };
  assert.deepEqual(claimCachedLaunch(env), { entry, notice: 'degraded' });
  assert.ok(!existsSync(`${entry}.trying`));
  assert.deepEqual(env, { PATH: '/bin' });
  assert.equal(claimCachedLaunch(env), undefined);
});

test('launchEntryPath accepts only absolute entry paths named by a key', () => {
  const env = (value: string): NodeJS.ProcessEnv => ({ _K3S_ROOTLESS_LAUNCH_ENTRY: value });
  assert.equal(launchEntryPath(env(`/home/a/.cache/k3s/rootless-launch/${KEY}.sh`)), `/home/a/.cache/k3s/rootless-launch/${KEY}.sh`);
  assert.equal(launchEntryPath(env(`relative/${KEY}.sh`)), undefined);
  assert.equal(launchEntryPath(env('/tmp/x.sh')), undefined);
  assert.equal(launchEntryPath(env('')), undefined);
  assert.equal(launchEntryPath({}), undefined);
});

test('a recording probe notes what the checks read; sysctls count by value, the rest of /proc and /sys not at all', () => {
  const inner: Probe = {
    env: { PATH: '/opt/bin:/usr/bin' },
    uid: 1000,
    user: 'a',
    home: '/home/a',
    kernelRelease: '6.1.0',
    readFile: () => '1',
    readGzipFile: () => undefined,
    stat: () => undefined,
    readDir: () => [],
    writable: () => true,
    openReadWrite: () => ({ ok: true }),
    which: (command) => (command === 'rootlesskit' ? '/usr/bin/rootlesskit' : undefined),
    run: () => ({ code: 0, stdout: '', stderr: '' }),
  };
  const { probe, record } = recordingProbe(inner);
  probe.readFile('/etc/subuid');
  probe.readFile('/proc/sys/user/max_user_namespaces');
  probe.readGzipFile('/proc/config.gz');
  probe.stat('/sys/module/overlay');
  probe.openReadWrite('/dev/net/tun');
  assert.equal(probe.which('rootlesskit'), '/usr/bin/rootlesskit');
  assert.equal(probe.which('slirp4netns'), undefined);
  assert.deepEqual(record.commands, []);
  probe.run('/usr/bin/systemctl', ['--user', 'show']);
  assert.deepEqual(record.commands, ['/usr/bin/systemctl --user show']);
  probe.stat('/run/user/1000/bus');
  const inputs = inputsFromProbe(record);
  assert.deepEqual(inputs.values, ['/proc/sys/user/max_user_namespaces']);
  assert.deepEqual(inputs.access, ['/dev/net/tun', '/run/user/1000/bus']);
  assert.deepEqual(inputs.userFiles, ['/etc/subuid']);
  assert.deepEqual(inputs.files, ['/usr/bin/rootlesskit', '/opt/bin', '/usr/bin', '/usr/local/sbin', '/usr/sbin', '/sbin']);
});

test('shellQuote makes one shell word of anything', () => {
  assert.equal(shellQuote('--state-dir=/home/a/.rancher/k3s/rootless'), '--state-dir=/home/a/.rancher/k3s/rootless');
  assert.equal(shellQuote("it's $HOME `x` a b"), `'it'\\''s $HOME \`x\` a b'`);
  assert.equal(shellQuote(''), "''");
});
