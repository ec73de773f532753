/**
 * The rootless launch cache, end to end as a user runs it: `k3s server --rootless` through the
 * k3s wrapper, twice. The second start execs rootlesskit from the launch cache without the
 * launcher; a changed setting, config file or a running instance sends the start back through
 * the launcher, whose checks and messages stay in charge.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort, spawnTracked, waitFor, type Tracked } from '../../helpers/index.js';
import { createTestUser, k3sAsUser, rootlessPrerequisiteProblem, userProcesses, type TestUser } from '../../helpers/users.js';

const LAUNCHER_LINE = 'handing over to rootlesskit';
const CACHE_LINE = 'started from the launch cache';
const DEGRADED_LINE = 'running without cgroup resource limits';

/** What the launcher logged as changed since the entry it replaced (see writeLaunchEntry). */
function changedInputs(output: string): string[] {
  for (const line of output.split('\n')) {
    if (!line.includes('launch cache entry for this command was out of date')) continue;
    return (JSON.parse(line) as { changed: string[] }).changed;
  }
  return [];
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('the rootless launch cache', { timeout: 600_000 }, () => {
  test('repeats the launcher\'s plan while nothing it read changed, and returns to the launcher when something did', async (t) => {
    const user = createTestUser(t, 'k3slc');
    const problem = rootlessPrerequisiteProblem(user);
    if (problem) return t.skip(problem);
    const port = await freePort();
    const args = ['server', '--rootless', '--disable-agent', '--https-listen-port', String(port)];
    const cache = join(user.home, '.cache/k3s/rootless-launch');

    const start = async (env: readonly string[] = [], extraArgs: readonly string[] = []): Promise<Tracked> => {
      const server = spawnTracked(t, 'runuser', k3sAsUser(user, [...args, ...extraArgs], ['K3S_LOG_LEVEL=info', ...env]));
      await waitFor('k3s is up', () => server.output().includes('k3s is up'), 90_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${server.output()}`);
      });
      return server;
    };
    const stop = async (server: Tracked): Promise<void> => {
      server.child.kill('SIGTERM');
      await server.exited;
      await waitFor('no process of the user left', () => userProcesses(user).length === 0, 20_000);
    };
    // A first start: the launcher checks, plans and writes the entry.
    let server = await start();
    const first = server.output();
    assert.ok(first.includes(LAUNCHER_LINE), first);
    assert.ok(!first.includes(CACHE_LINE), first);
    await stop(server);
    const entries = readdirSync(cache).filter((n) => n.endsWith('.sh'));
    assert.equal(entries.length, 1, entries.join(' '));
    assert.equal(statSync(join(cache, entries[0]!)).mode & 0o777, 0o600);
    assert.equal(statSync(cache).mode & 0o777, 0o700);

    // The same start again: rootlesskit straight from the entry; the launcher's warning still shows, once.
    server = await start();
    const second = server.output();
    assert.ok(second.includes(CACHE_LINE), second);
    assert.ok(!second.includes(LAUNCHER_LINE), second);
    assert.equal(count(second, DEGRADED_LINE), count(first, DEGRADED_LINE), second);
    assert.ok(!existsSync(join(cache, `${entries[0]!}.trying`)), 'the server claimed the try');

    // While it runs, the same command is a second instance: the launcher runs and refuses it.
    const again = spawnTracked(t, 'runuser', k3sAsUser(user, args, ['K3S_LOG_LEVEL=info']));
    assert.notEqual(await again.exited, 0);
    assert.match(again.output(), /a rootless k3s is already running with data dir/);
    await stop(server);

    // Another setting: the launcher plans anew, and the setting takes effect.
    server = await start(['K3S_ROOTLESS_MTU=1400']);
    assert.ok(server.output().includes(LAUNCHER_LINE), server.output());
    assert.match(server.output(), /"mtu":1400/);
    await stop(server);
    server = await start(['K3S_ROOTLESS_MTU=1400']);
    assert.ok(server.output().includes(CACHE_LINE), server.output());
    await stop(server);
    assert.equal(readdirSync(cache).filter((n) => n.endsWith('.sh')).length, 2, 'one entry per command line and settings');

    // A data dir named on the command line: the server changes it at every run (rootlesskit's
    // state dir comes and goes in it), which must not cost the next start the cache.
    const dataDir = ['--data-dir', join(user.home, 'second-instance')];
    server = await start([], dataDir);
    assert.ok(server.output().includes(LAUNCHER_LINE), server.output());
    await stop(server);
    server = await start([], dataDir);
    assert.ok(server.output().includes(CACHE_LINE), `${JSON.stringify(changedInputs(server.output()))}\n${server.output()}`);
    await stop(server);

    // A config file appears: the launcher runs (the entry's fingerprint covers the config path).
    withConfig(user, 'node-label:\n  - launch=cache\n');
    server = await start();
    assert.ok(server.output().includes(LAUNCHER_LINE), server.output());
    assert.ok(changedInputs(server.output()).includes(join(user.home, '.config/k3s/config.yaml')), server.output());
    await stop(server);

    // A fast start that never reached the server leaves its mark: the next start runs the launcher.
    server = await start();
    assert.ok(server.output().includes(CACHE_LINE), server.output());
    await stop(server);
    const entry = readdirSync(cache).filter((n) => n.endsWith('.sh')).map((n) => join(cache, n)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
    execFileSync('runuser', ['-u', user.name, '--', 'touch', `${entry}.trying`]);
    server = await start();
    assert.ok(server.output().includes(LAUNCHER_LINE), server.output());
    assert.ok(!existsSync(`${entry}.trying`), 'the launcher wrote the entry anew');
    await stop(server);
  });
});

function withConfig(user: TestUser, text: string): void {
  const dir = join(user.home, '.config/k3s');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), text);
  for (const path of [join(user.home, '.config'), dir, join(dir, 'config.yaml')]) chownSync(path, user.uid, user.gid);
}
