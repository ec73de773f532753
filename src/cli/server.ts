/** `k3s server`: the control plane (and, by default, an agent) in one process. */
import type { Command } from 'commander';
import { assertPreflight } from '../preflight/index.js';
import { rootlessRole, runRootlessLauncher } from '../rootless/index.js';
import { runServer } from '../supervisor/server.js';
import { configFromCommand } from './config-from-command.js';
import { declareFlags } from './flags-to-commander.js';

export function registerServer(program: Command): void {
  const command = program.command('server').description('Run management server');
  declareFlags(command, 'server').action(async () => {
    const config = configFromCommand(command, 'server');
    // The rootless launcher runs the rootless checks itself; inside its namespaces nothing needs checking.
    if (!config.rootless) assertPreflight(config, 'host');
    if (config.rootless && rootlessRole(process.env) === 'parent') {
      // Re-run this very command inside rootlesskit; the child sees the private marker and serves.
      const command = [process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)];
      process.exitCode = await runRootlessLauncher(config, { command, env: process.env });
      return;
    }
    process.exitCode = await runServer(config);
  });
}
