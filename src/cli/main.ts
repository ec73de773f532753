#!/usr/bin/env node
/**
 * The k3s command: one binary, subcommands as upstream (server, agent, kubectl, check-config).
 * Each subcommand lives in its own file and only turns arguments into a Config and hands it on.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { versionText } from '../version.js';
import { registerAgent } from './agent.js';
import { registerCheckConfig } from './check-config.js';
import { registerCrictl } from './crictl.js';
import { registerCtr } from './ctr.js';
import { registerKubectl } from './kubectl.js';
import { registerRootless } from './rootless.js';
import { registerServer } from './server.js';

export function buildProgram(): Command {
  const program = new Command('k3s')
    .description('Lightweight, rootless-first Kubernetes in one binary')
    .version(versionText(), '-v, --version', 'print the version')
    .showHelpAfterError('(run "k3s <command> --help" for the flags of a command)')
    .enablePositionalOptions();
  registerServer(program);
  registerAgent(program);
  registerKubectl(program);
  registerCheckConfig(program);
  registerCtr(program);
  registerCrictl(program);
  registerRootless(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ConfigError) {
      console.error(`k3s: ${err.message}`);
      return 1;
    }
    console.error(`k3s: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
