/**
 * `k3s rootless killall [--data-dir DIR]`: stops the calling user's rootless k3s (all of its
 * instances, or the one with this data dir) with everything it started; the data is kept. The
 * installed k3s-killall.sh runs this when a user (not root) runs it.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../config/index.js';

interface KillallOptions {
  readonly dataDir?: string;
  readonly gracePeriod: string;
}

export function registerRootless(program: Command): void {
  const rootless = program.command('rootless').description("Manage this user's rootless k3s");
  rootless
    .command('killall')
    .description('Stop every rootless k3s of this user: rootlesskit, slirp4netns, the server, containerd, shims and containers (data is kept)')
    .option('-d, --data-dir <dir>', 'only the instance using this data dir (default: every instance of this user)')
    .option('--grace-period <seconds>', 'how long the server may take to shut down before it is killed', '15')
    .action(async (options: KillallOptions) => {
      const uid = process.getuid?.() ?? 0;
      if (uid === 0) throw new ConfigError("k3s rootless killall stops a user's rootless k3s: run it as that user (for root's k3s use k3s-killall.sh)");
      const grace = Number(options.gracePeriod);
      if (!Number.isFinite(grace) || grace < 0) throw new ConfigError(`--grace-period "${options.gracePeriod}": must be a number of seconds, 0 or more`);
      const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir.replace(/^~(?=\/|$)/, homedir()));
      // Loaded on demand: every k3s command parses this file, few run killall.
      const { killallRootless } = await import('../rootless/killall.js');
      const say = (line: string): void => void process.stdout.write(`${line}\n`);
      const stopped = await killallRootless({ uid, graceMs: grace * 1000, env: process.env, say, ...(dataDir ? { stateDir: join(dataDir, 'rootless') } : {}) });
      if (stopped.length === 0) say(dataDir ? `no rootless k3s is running with data dir ${dataDir}` : 'no rootless k3s is running for this user');
    });
}
