/**
 * The rootless launcher's own bundle (bundle/k3s-launcher.cjs, which the k3s wrapper runs for
 * `server`/`agent` with --rootless) answers exactly as the full CLI does: help, flag errors,
 * configuration errors and exit codes. It hands rootlesskit the full CLI as the child command,
 * and a command that turns out not to be a rootless launch is exec'd as the full CLI.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BUILD_ROOT, freePort, K3S_BIN, run, spawnTracked, tempDir, waitFor } from '../../helpers/index.js';
import { createTestUser, rootlessPrerequisiteProblem } from '../../helpers/users.js';

const WRAPPER = join(BUILD_ROOT, 'bin/k3s');
const LAUNCHER = join(BUILD_ROOT, 'bundle/k3s-launcher.cjs');

/** The same command through the wrapper (so the launcher bundle) and straight into the full CLI. */
async function both(args: readonly string[]): Promise<{ launcher: Awaited<ReturnType<typeof run>>; full: Awaited<ReturnType<typeof run>> }> {
  const [launcher, full] = await Promise.all([run(WRAPPER, args), run(process.execPath, [K3S_BIN, ...args])]);
  return { launcher, full };
}

describe('the rootless launcher bundle', () => {
  test('the wrapper routes server/agent --rootless to it', () => {
    const wrapper = readFileSync(WRAPPER, 'utf8');
    assert.ok(wrapper.includes(`LAUNCHER='${LAUNCHER}'`), wrapper);
  });

  for (const args of [
    ['server', '--rootless', '--help'],
    ['server', '--rootless', '--no-such-flag'],
    ['server', '--rootless', '--https-listen-port', 'many'],
    ['agent', '--rootless'],
    ['agent', '--rootless', '--server', 'https://127.0.0.1:6443', '--token', 'secret'],
    ['server', '--rootless=maybe'],
  ]) {
    test(`answers "k3s ${args.join(' ')}" as the full CLI does`, async () => {
      const { launcher, full } = await both(args);
      assert.equal(launcher.stdout, full.stdout);
      assert.equal(launcher.stderr, full.stderr);
      assert.equal(launcher.code, full.code);
      assert.ok(full.stdout.length + full.stderr.length > 0, 'the command says something');
    });
  }

  test('as root, refuses rootless mode with the full CLI\'s message', async (t) => {
    const dir = tempDir(t);
    const { launcher, full } = await both(['server', '--rootless', '-d', dir]);
    assert.equal(launcher.stderr, full.stderr);
    assert.equal(launcher.code, full.code);
    assert.notEqual(full.code, 0);
  });

  test('hands rootlesskit the full CLI as the command inside, not itself', async (t) => {
    const user = createTestUser(t, 'k3sle');
    const problem = rootlessPrerequisiteProblem(user);
    if (problem) return t.skip(problem);
    // fd 3 is the hand-over pipe the wrapper reads; here the shell prints it to stdout.
    const script = `K3S_HANDOFF_PID=$$ ${process.execPath} ${LAUNCHER} ${K3S_BIN} server --rootless --https-listen-port 7443 3>&1 2>/dev/null`;
    const out = await run('runuser', ['-u', user.name, '--', 'env', `HOME=${user.home}`, 'sh', '-c', script]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^export _K3S_ROOTLESS_CHILD=1 /m);
    const exec = out.stdout.split('\n').find((l) => l.startsWith('exec rootlesskit '));
    assert.ok(exec, out.stdout);
    assert.ok(exec.endsWith(` ${process.execPath} ${K3S_BIN} server --rootless --https-listen-port 7443`), exec);
  });

  test('a command that is no rootless launch (--rootless false) runs as the full CLI, exec\'d in the wrapper\'s place', { timeout: 120_000 }, async (t) => {
    const dir = tempDir(t);
    const port = await freePort();
    const server = spawnTracked(t, WRAPPER, ['server', '--rootless', 'false', '--disable-agent', '-d', dir, '--https-listen-port', String(port), '--write-kubeconfig', join(dir, 'k3s.yaml')]);
    await waitFor('k3s is up', () => server.output().includes('k3s is up'), 90_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${server.output()}`);
    });
    const cmdline = readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0');
    assert.deepEqual(cmdline.slice(1, 3), [K3S_BIN, 'server'], 'the wrapper\'s PID now runs the full CLI');
  });
});
