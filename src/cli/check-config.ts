/**
 * `k3s check-config [--rootless] [-o json]`: what this machine has and lacks for k3s, each check
 * with the fix to apply. Exit code 1 when any check fails. Besides the machine it also checks
 * the configuration k3s server would read (config.yaml, K3S_* variables).
 */
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildConfig, ConfigError, type Config, type RawSettings, type RootlessConfig } from '../config/index.js';
import { rootlessConfig } from '../config/rootless.js';
import { formatJson, formatText, hostProbe, runChecks, type CheckResult, type Probe } from '../preflight/index.js';
import { configureLogging } from '../log/index.js';

interface CheckConfigOptions {
  readonly rootless?: boolean;
  readonly output: string;
}

export function registerCheckConfig(program: Command): void {
  program
    .command('check-config')
    .description('Check what this machine has and lacks for k3s, with the fix for each problem')
    .option('--rootless', 'check what rootless mode needs (run as the user who will run k3s server --rootless)')
    .option('-o, --output <format>', 'output format: text or json', 'text')
    .action((options: CheckConfigOptions) => {
      if (options.output !== 'text' && options.output !== 'json') {
        throw new ConfigError(`--output must be "text" or "json", not "${options.output}"`);
      }
      configureLogging({ debug: false, level: 'silent' });
      const { text, failed } = checkConfig(hostProbe(), options.rootless === true, options.output);
      process.stdout.write(text);
      process.exitCode = failed ? 1 : 0;
    });
}

/** The whole report for this probe; separate from commander so it can be tested on a fake machine. */
export function checkConfig(probe: Probe, rootless: boolean, output: 'text' | 'json'): { text: string; failed: boolean } {
  const config = configuration(probe, rootless);
  const results = [config.result, ...runChecks(probe, { rootless, agent: true, ...(rootless ? { rootlessSettings: config.rootlessSettings } : {}) })];
  const failed = results.some((r) => r.status === 'fail');
  const mode = rootless ? 'rootless' : 'host';
  const title = `k3s check-config${rootless ? ' --rootless' : ''}: ${rootless ? `rootless mode for ${probe.user} (uid ${probe.uid})` : 'this machine'}`;
  return { text: output === 'json' ? formatJson(results, mode) : formatText(results, title), failed };
}

/** Builds the server Config exactly as `k3s server` would, so config mistakes show up here too. */
function configuration(probe: Probe, rootless: boolean): { result: CheckResult; rootlessSettings: RootlessConfig | Error } {
  const base = { id: 'config', group: 'config', name: 'k3s configuration' } as const;
  const cli: RawSettings = new Map();
  // As root, --rootless would be refused by buildConfig; the "unprivileged user" check says so.
  if (rootless && probe.uid !== 0) cli.set('rootless', { value: true, append: false, origin: 'check-config --rootless' });
  const home = probe.home || homedir();
  let config: Config;
  try {
    config = buildConfig({ role: 'server', cli, env: probe.env, uid: probe.uid, home, hostname: hostname() });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      result: { ...base, status: 'fail', detail: err.message, fix: 'correct the flag, variable or config file named above (see docs/configuration.md)' },
      rootlessSettings: settingsOrError(probe.env, join(home, '.rancher/k3s')),
    };
  }
  const files = config.configFiles.length > 0 ? `read ${config.configFiles.join(', ')}` : 'no config file';
  return {
    result: { ...base, status: 'pass', detail: `${files}; data dir ${config.dataDir}` },
    rootlessSettings: config.rootless ? config.rootlessSettings : settingsOrError(probe.env, config.dataDir),
  };
}

function settingsOrError(env: NodeJS.ProcessEnv, dataDir: string): RootlessConfig | Error {
  try {
    return rootlessConfig(env, dataDir);
  } catch (err) {
    return err as Error;
  }
}
