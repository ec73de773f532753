/** Assembles `k3s agent`: the node components joining a server, from one Config. */
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/index.js';
import { RemoteAgent } from '../join/index.js';
import { logger } from '../log/index.js';
import { Supervisor } from './supervisor.js';

export async function runAgent(config: Config): Promise<number> {
  const startedAt = performance.now();
  const supervisor = new Supervisor();
  logger('agent').info({ dataDir: config.dataDir, server: config.agent.serverUrl, node: config.nodeName }, 'starting k3s agent');
  supervisor.add(new RemoteAgent(config, { startedAt }));
  return supervisor.run();
}
