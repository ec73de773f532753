/** `k3s check-config`: what this machine has and lacks for k3s, with the fix for each. */
import type { Command } from 'commander';
import { ConfigError } from '../config/index.js';

export function registerCheckConfig(program: Command): void {
  program
    .command('check-config')
    .description('Run config check')
    .option('--rootless', 'check what rootless mode needs')
    .option('-o, --output <format>', 'output format: text or json', 'text')
    .action(() => {
      throw new ConfigError('check-config is not implemented yet');
    });
}
