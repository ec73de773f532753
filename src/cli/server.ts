/** `k3s server`: the control plane (and, by default, an agent) in one process. */
import type { Command } from 'commander';
import { assertPreflight } from '../preflight/index.js';
import { rootlessRole } from '../rootless/roles.js';
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
      // Loaded on demand: the launcher stays resident beside the cluster, so it must not carry
      // the server's code (measured: ~98 MiB RSS with it).
      const { runRootlessLauncher } = await import('../rootless/launcher.js');
      process.exitCode = await runRootlessLauncher(config, { command, env: process.env });
      return;
    }
    const { runServer } = await import('../supervisor/server.js');
    process.exitCode = await runServer(config);
  });
}
