/**
 * `k3s ctr ...`: Debian's containerd `ctr` pointed at this install's containerd, in the `k8s.io`
 * namespace where the node's images and containers live (CONTAINERD_ADDRESS and
 * CONTAINERD_NAMESPACE from the environment, or ctr's own --address / -n, still win).
 * Rootless, ctr runs inside rootlesskit's namespaces so that what it mounts is containerd's view.
 * Arguments, standard streams and the exit code pass through unchanged.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { noRuntimeMessage, nsenterPrefix, runtimeTarget } from './runtime-target.js';

export function registerCtr(program: Command): void {
  program
    .command('ctr')
    .description("Run containerd's ctr against this node's containerd (namespace k8s.io); a leading --data-dir DIR picks another data dir")
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .passThroughOptions(true)
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await runCtr(args, process.getuid?.() ?? 0, homedir());
    });
}

export async function runCtr(argv: string[], uid: number, home: string): Promise<number> {
  const target = runtimeTarget(argv, uid, home);
  const env = { ...process.env };
  env['CONTAINERD_ADDRESS'] ??= target.socket;
  env['CONTAINERD_NAMESPACE'] ??= 'k8s.io';
  if (!existsSync(env['CONTAINERD_ADDRESS']) && !target.args.some((a) => a === '--address' || a === '-a' || a.startsWith('--address='))) {
    console.error(noRuntimeMessage('ctr', target));
    return 1;
  }
  let command = ['ctr', ...target.args];
  if (target.rootless && target.rootlessChildPid !== undefined) command = [...nsenterPrefix(target.rootlessChildPid), ...command];
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
    child.on('error', (err: NodeJS.ErrnoException) => {
      console.error(err.code === 'ENOENT' ? `k3s ctr: ${command[0]} was not found on PATH; install Debian's containerd package (it provides ctr)` : `k3s ctr: cannot run ${command[0]}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1)));
  });
}
