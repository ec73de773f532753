/**
 * What every k3s entry shares: the commander program's set-up (name, version, help after an
 * error) and how a parse ends (exit code, `k3s: <message>` for configuration errors). Two entries
 * use it: the full CLI (main.ts) and the rootless launcher (launcher-main.ts), so both answer
 * `k3s server ...` with the same help, flags and error messages.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, type Config } from '../config/index.js';
import { versionText } from '../version.js';

/** What a subcommand needs to know about the entry that runs it. */
export interface CliEntry {
  /** The full k3s CLI script (bundle/k3s.mjs, or src/cli/main.js of a tsc tree): rootlesskit's child runs it. */
  readonly fullCli: string;
  /** The arguments after the script (`server --rootless ...`). */
  readonly argv: readonly string[];
  /** Runs the server (or the agent) in this process, or passes the command to the full CLI. */
  runServer(config: Config): Promise<number>;
  runAgent(config: Config): Promise<number>;
}

export function newProgram(): Command {
  return new Command('k3s')
    .description('Lightweight, rootless-first Kubernetes in one binary')
    .version(versionText(), '-v, --version', 'print the version')
    .showHelpAfterError('(run "k3s <command> --help" for the flags of a command)')
    .enablePositionalOptions();
}

/** Parses `argv` (the arguments after the script) and runs the command; resolves to the exit code. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  program.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
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
