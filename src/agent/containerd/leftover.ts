/**
 * A containerd left running by an earlier k3s of the same data dir. containerd runs in its own
 * process group so that a Ctrl-C aimed at k3s does not kill it before k3s has stopped it; the
 * other side of that is that it outlives a k3s that was SIGKILLed or crashed. It then still
 * holds its metadata database's lock, and a new containerd waits on that lock forever ("waiting
 * for response from boltdb open"), so the next k3s start used to fail after 30 s.
 *
 * Each start records the PID it spawned; the next start stops that process if it is still a
 * containerd running our config file (the PID may have been reused by anything else).
 * Containers are unaffected: they belong to their shims, which the new containerd adopts.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { sleep } from '../../supervisor/sleep.js';

export function recordContainerdPid(pidFile: string, pid: number): void {
  writeFileSync(pidFile, `${pid}\n`, { mode: 0o600 });
}

/** The PID in `pidFile` if that process is a containerd started with `--config configFile`. */
export function leftoverContainerd(pidFile: string, configFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return undefined;
  const argv = commandLine(pid);
  if (!argv) return undefined;
  const config = argv.indexOf('--config');
  return config >= 0 && argv[config + 1] === configFile ? pid : undefined;
}

/**
 * Stops the leftover containerd, if any, as k3s itself would (SIGTERM, then SIGKILL after
 * `graceMs`), and forgets the recorded PID. Returns the PID it stopped.
 */
export async function stopLeftoverContainerd(pidFile: string, configFile: string, graceMs = 10_000): Promise<number | undefined> {
  const pid = leftoverContainerd(pidFile, configFile);
  rmSync(pidFile, { force: true });
  if (pid === undefined) return undefined;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (commandLine(pid) && Date.now() < deadline) await sleep(50);
  if (commandLine(pid)) {
    signal(pid, 'SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (commandLine(pid)) {
      if (Date.now() > killDeadline) throw new Error(`a containerd left by an earlier k3s (pid ${pid}) does not die even of SIGKILL; it holds ${configFile}'s data: stop it, then start k3s again`);
      await sleep(20);
    }
  }
  return pid;
}

/** argv of a live process, or undefined once it is gone (a zombie has an empty cmdline). */
function commandLine(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw ? raw.replace(/\0$/, '').split('\0') : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
}
