/** `k3s agent`: node components joining a server. */
import type { Command } from 'commander';
import { ConfigError } from '../config/index.js';
import { configFromCommand } from './config-from-command.js';
import { declareFlags } from './flags-to-commander.js';

export function registerAgent(program: Command): void {
  const command = program.command('agent').description('Run node agent');
  declareFlags(command, 'agent').action(() => {
    // Parse and validate everything first, so config mistakes are reported as such.
    configFromCommand(command, 'agent');
    throw new ConfigError('k3s agent is not supported yet by this k3s: run the control plane with "k3s server --disable-agent"');
  });
}
