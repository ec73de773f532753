/** `k3s agent`: node components joining a server (--server / K3S_URL, --token / K3S_TOKEN). */
import type { Command } from 'commander';
import { ConfigError } from '../config/index.js';
import { assertPreflight } from '../preflight/index.js';
import { configFromCommand } from './config-from-command.js';
import { declareFlags } from './flags-to-commander.js';
import type { CliEntry } from './program.js';

export function registerAgent(program: Command, entry: CliEntry): void {
  const command = program.command('agent').description('Run node agent');
  declareFlags(command, 'agent').action(async () => {
    const config = configFromCommand(command, 'agent');
    if (!config.agent.serverUrl) throw new ConfigError('k3s agent needs the server to join: --server https://HOST:6443 (or K3S_URL)');
    if (!config.token) throw new ConfigError("k3s agent needs the cluster token: --token (or K3S_TOKEN, --token-file) with the content of the server's /var/lib/rancher/k3s/server/node-token");
    if (config.rootless) throw new ConfigError('k3s agent --rootless is not supported yet by this k3s: run the agent as root');
    assertPreflight(config, 'host');
    process.exitCode = await entry.runAgent(config);
  });
}
