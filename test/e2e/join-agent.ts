/**
 * A second machine for a node cluster: its own network namespace, connected to the server's
 * as two machines on one network, a data dir, and `k3s agent` joining with the server's token.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdPaths } from '../../src/agent/index.js';
import { K3S_BIN, run, tempDir, waitFor, type Tracked } from '../helpers/index.js';
import { connectNamespaces, createNetNamespace, type NetNamespace } from '../helpers/netns.js';
import { assertRuntimeGone, cleanUpRuntime, removeLeftoverPodNetns } from '../integration/agent/runtime-cleanup.js';
import { runDirPrefix, type NodeCluster } from './node-cluster.js';

interface Cleanup {
  after(fn: () => unknown): void;
}

export interface AgentMachine {
  readonly netns: NetNamespace;
  /** The test's temp dir: room for more data dirs (agents that must not join). */
  readonly dir: string;
  readonly dataDir: string;
  readonly node: string;
  readonly token: string;
  readonly serverUrl: string;
  /** The agent's containerd socket. */
  readonly socket: string;
  /** `k3s agent` flags that join the cluster as `node` with `dataDir`. */
  readonly joinArgs: readonly string[];
  /** Spawns `k3s agent` with these flags inside the machine's namespace (JSON logs). */
  start(args?: readonly string[]): Tracked;
  /** Waits until the node is Ready, failing at once, with its logs, if the agent exits. */
  waitReady(what: string, agent: Tracked): Promise<void>;
  /** The node's STATUS column, or undefined while it is not registered. */
  nodeStatus(): Promise<string | undefined>;
}

export async function prepareAgentMachine(t: Cleanup, cluster: NodeCluster, label: string): Promise<AgentMachine> {
  // Registered before the namespace so it runs first, while the agent's containerd (if still
  // running) answers: its pods leave nothing behind.
  let socket = '';
  t.after(async () => {
    // Kills what it cannot remove through containerd (gone with a stopped agent) too.
    if (socket) await cleanUpRuntime(socket);
  });
  const netns = await createNetNamespace(t, label);
  await connectNamespaces(t, cluster.netns, netns);
  const token = readFileSync(join(cluster.dataDir, 'server', 'node-token'), 'utf8').trim();
  const serverUrl = `https://${cluster.netns.nodeIP}:6443`;
  // Registered before the temp dir so it runs first: whatever a stopped agent's containerd
  // left mounted (a pod being removed at stop time) must not keep the dir busy, nor its pods'
  // network namespaces stay in /run/netns.
  let dir = '';
  t.after(async () => {
    if (!dir) return;
    try {
      // The agent may have started a container after the first clean-up: its shim is gone now.
      await assertRuntimeGone(socket);
    } finally {
      for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n').reverse()) {
        const target = line.split(' ')[1];
        if (target?.startsWith(dir)) await run('umount', ['-l', target]);
      }
      await removeLeftoverPodNetns(join(dir, 'data'));
    }
  });
  dir = tempDir(t, runDirPrefix('join'));
  const dataDir = join(dir, 'data');
  const node = `agent-${netns.name.slice(5)}`;
  socket = containerdPaths(dataDir, { rootless: false }).socket;
  const joinArgs = ['--server', serverUrl, '--token', token, '-d', dataDir, '--node-name', node, '--node-ip', netns.nodeIP];
  const start = (args: readonly string[] = joinArgs): Tracked => netns.spawn(process.execPath, [K3S_BIN, 'agent', ...args], { env: { ...process.env, K3S_LOG_FORMAT: 'json' } });
  const nodeStatus = async (): Promise<string | undefined> => {
    const r = await cluster.kubectl(['get', 'node', node, '--no-headers']);
    return r.code === 0 ? r.stdout.trim().split(/\s+/)[1] : undefined;
  };
  const waitReady = async (what: string, agent: Tracked): Promise<void> => {
    await waitFor(what, async () => {
      if (agent.child.exitCode !== null) {
        const log = join(dataDir, 'agent', 'containerd', 'containerd.log');
        const containerdLog = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-30).join('\n') : '(none)';
        throw new Error(`k3s agent exited with ${agent.child.exitCode}:\n${agent.output()}\ncontainerd.log (tail):\n${containerdLog}`);
      }
      return (await nodeStatus()) === 'Ready';
    }, 120_000, 250);
  };
  return { netns, dir, dataDir, node, token, serverUrl, socket, joinArgs, start, waitReady, nodeStatus };
}

/** SIGTERM, then SIGKILL if the agent has not stopped within 45 s. */
export async function stopAgent(agent: Tracked): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  agent.child.kill('SIGTERM');
  const timer = setTimeout(() => agent.child.kill('SIGKILL'), 45_000);
  await agent.exited;
  clearTimeout(timer);
}
