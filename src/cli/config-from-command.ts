import { hostname, homedir } from 'node:os';
import type { Command } from 'commander';
import { buildConfig, type Config, type Role } from '../config/index.js';
import { configureLogging } from '../log/index.js';
import { effectiveUid } from '../rootless/roles.js';
import { readCliFlags } from './flags-to-commander.js';

/** Builds the Config for a subcommand from its parsed flags, the environment and config files. */
export function configFromCommand(command: Command, role: Role): Config {
  const config = buildConfig({
    role,
    cli: readCliFlags(command, role),
    env: process.env,
    uid: effectiveUid(process.env, process.getuid?.() ?? 0),
    home: process.env.HOME ?? homedir(),
    hostname: hostname(),
  });
  configureLogging({ debug: config.debug });
  return config;
}
