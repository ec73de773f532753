#!/usr/bin/env node
/**
 * The k3s command: one binary, subcommands as upstream (server, agent, kubectl, check-config).
 * Each subcommand lives in its own file and only turns arguments into a Config and hands it on.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { registerAgent } from './agent.js';
import { registerCheckConfig } from './check-config.js';
import { registerCrictl } from './crictl.js';
import { registerCtr } from './ctr.js';
import { registerKubectl } from './kubectl.js';
import { newProgram, runProgram, type CliEntry } from './program.js';
import { registerRootless } from './rootless.js';
import { registerServer } from './server.js';

export function buildProgram(argv: readonly string[] = []): Command {
  const entry: CliEntry = {
    // This very script (in the bundle, the entry file k3s.mjs): what rootlesskit's child runs.
    fullCli: fileURLToPath(import.meta.url),
    argv,
    // Loaded on demand: `k3s --version`, kubectl and the rootless launcher never parse them.
    runServer: async (config) => (await import('../supervisor/server.js')).runServer(config),
    runAgent: async (config) => (await import('../supervisor/agent.js')).runAgent(config),
  };
  const program = newProgram();
  registerServer(program, entry);
  registerAgent(program, entry);
  registerKubectl(program);
  registerCheckConfig(program);
  registerCtr(program);
  registerCrictl(program);
  registerRootless(program);
  return program;
}

export function main(argv: string[]): Promise<number> {
  return runProgram(buildProgram(argv), argv);
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
