/**
 * `k3s kubectl ...`: runs the kubectl on PATH with KUBECONFIG defaulting to this install's
 * kubeconfig (root: /etc/rancher/k3s/k3s.yaml; a user: ~/.kube/k3s.yaml), passing arguments,
 * standard streams and the exit code through unchanged.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { userDefaults } from '../config/index.js';

export function defaultKubeconfig(uid: number, home: string): string {
  if (uid === 0) return '/etc/rancher/k3s/k3s.yaml';
  return String(userDefaults(home)['write-kubeconfig']);
}

export function registerKubectl(program: Command): void {
  program
    .command('kubectl')
    .description('Run kubectl against this k3s (KUBECONFIG defaults to the kubeconfig k3s wrote)')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .passThroughOptions(true)
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await runKubectl(args);
    });
}

export async function runKubectl(args: string[]): Promise<number> {
  const env = { ...process.env };
  if (!env.KUBECONFIG) {
    const path = defaultKubeconfig(process.getuid?.() ?? 0, homedir());
    if (existsSync(path)) env.KUBECONFIG = path;
  }
  return new Promise((resolve) => {
    const child = spawn('kubectl', args, { stdio: 'inherit', env });
    child.on('error', (err: NodeJS.ErrnoException) => {
      console.error(
        err.code === 'ENOENT'
          ? 'k3s kubectl: kubectl was not found on PATH; install kubectl (https://kubernetes.io/docs/tasks/tools/) and try again'
          : `k3s kubectl: cannot run kubectl: ${err.message}`,
      );
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGHUP: 1 } as Partial<Record<NodeJS.Signals, number>>)[signal];
}
