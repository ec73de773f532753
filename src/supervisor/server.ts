/**
 * Assembles `k3s server`: the runnables in start order, from one Config.
 */
import { ConfigError, type Config } from '../config/index.js';
import { logger } from '../log/index.js';
import { Supervisor } from './supervisor.js';

export async function runServer(config: Config): Promise<number> {
  if (config.rootless) {
    throw new ConfigError('--rootless is not supported yet by this k3s');
  }
  if (!config.components.disableAgent) {
    throw new ConfigError('the agent (kubelet) is not supported yet by this k3s: run the control plane alone with "k3s server --disable-agent"');
  }
  const supervisor = new Supervisor();
  logger('server').info({ dataDir: config.dataDir, configFiles: config.configFiles }, 'starting k3s server');
  return supervisor.run();
}
