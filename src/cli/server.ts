/** `k3s server`: the control plane (and, by default, an agent) in one process. */
import type { Command } from 'commander';
import { runServer } from '../supervisor/server.js';
import { configFromCommand } from './config-from-command.js';
import { declareFlags } from './flags-to-commander.js';

export function registerServer(program: Command): void {
  const command = program.command('server').description('Run management server');
  declareFlags(command, 'server').action(async () => {
    const config = configFromCommand(command, 'server');
    process.exitCode = await runServer(config);
  });
}
