/** `k3s server`: the control plane (and, by default, an agent) in one process. */
import type { Command } from 'commander';
import { assertPreflight } from '../preflight/index.js';
import { logger } from '../log/index.js';
import { claimCachedLaunch } from '../rootless/launch-cache.js';
import { rootlessRole } from '../rootless/roles.js';
import { configFromCommand } from './config-from-command.js';
import { declareFlags } from './flags-to-commander.js';
import type { CliEntry } from './program.js';

export function registerServer(program: Command, entry: CliEntry): void {
  const command = program.command('server').description('Run management server');
  declareFlags(command, 'server').action(async () => {
    const config = configFromCommand(command, 'server');
    if (config.rootless && rootlessRole(process.env) === 'parent') {
      // Re-run this command inside rootlesskit with the full CLI; the child sees the private
      // marker and serves. The launcher runs the rootless checks itself.
      const { runRootlessLauncher } = await import('../rootless/launcher.js');
      const program = [process.execPath, entry.fullCli];
      process.exitCode = await runRootlessLauncher(config, { command: [process.execPath, ...process.execArgv, entry.fullCli, ...entry.argv], program, env: process.env });
      return;
    }
    // Inside rootlesskit's namespaces nothing needs checking: the launcher did, this start or
    // (started from the launch cache) the last one, with nothing it read changed since.
    if (!config.rootless) assertPreflight(config, 'host');
    else reportCachedLaunch();
    process.exitCode = await entry.runServer(config);
  });
}

/** Started straight from the launch cache: say so, and repeat the launcher's warning it stood in for. */
function reportCachedLaunch(): void {
  const claimed = claimCachedLaunch(process.env);
  if (!claimed) return;
  const log = logger('rootless');
  log.info({ entry: claimed.entry }, "started from the launch cache: nothing the launcher's last checks read has changed, so rootlesskit ran without them");
  if (claimed.notice) log.warn(claimed.notice);
}
