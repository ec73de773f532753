/**
 * The rootless launcher's own entry (bundled alone as bundle/k3s-launcher.cjs): `k3s server
 * --rootless` up to the hand-over to rootlesskit carries only config, preflight and the launcher,
 * not the server, so its Node start is short (every rootless start waits for it).
 *
 *   node k3s-launcher.cjs FULL_CLI server --rootless ...
 *
 * The k3s wrapper runs it for `server`/`agent` with --rootless; FULL_CLI (bundle/k3s.mjs) is what
 * rootlesskit's child runs, and what takes over any command that turns out not to be a rootless
 * launch (say `--rootless false`): the same program (program.ts) and subcommand files as the full
 * CLI, so help, flags and errors are the full CLI's.
 */
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/index.js';
import { shellQuote } from '../rootless/launch-cache.js';
import { HANDOFF_FD, HANDOFF_PID_ENV, handOffPid } from '../rootless/launcher.js';
import { registerAgent } from './agent.js';
import { newProgram, runProgram, type CliEntry } from './program.js';
import { registerServer } from './server.js';

const [fullCli, ...argv] = process.argv.slice(2);

/** This entry cannot serve: the full CLI runs the command instead, from the start (same parse). */
async function passToFullCli(): Promise<number> {
  if (handOffPid(process.env) !== undefined) {
    // The wrapper execs what we write: the full CLI with its own arguments, as if routed there.
    const script = `exec ${[process.execPath, ...process.execArgv, fullCli!].map(shellQuote).join(' ')} "$@"\n`;
    try {
      writeSync(HANDOFF_FD, script);
    } catch (err) {
      throw new ConfigError(`${HANDOFF_PID_ENV} is set but file descriptor ${HANDOFF_FD} is not writable (${(err as Error).message}): unset ${HANDOFF_PID_ENV}, it is only for the k3s wrapper script`);
    }
    return 0;
  }
  // Run directly (no wrapper): load the full CLI in this process, seeing the arguments it expects.
  process.argv.splice(1, 2, fullCli!);
  await import(pathToFileURL(fullCli!).href);
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

async function main(): Promise<number> {
  if (fullCli === undefined) {
    console.error('k3s-launcher: usage: node k3s-launcher.cjs FULL_CLI server|agent --rootless ... (the k3s wrapper runs it)');
    return 2;
  }
  const entry: CliEntry = { fullCli, argv, runServer: passToFullCli, runAgent: passToFullCli };
  const program = newProgram();
  // Only the subcommand asked for (the wrapper routes server and agent here): declaring the
  // other one's flags would be wasted work, and its help is never shown from this entry.
  if (argv[0] !== 'agent') registerServer(program, entry);
  if (argv[0] !== 'server') registerAgent(program, entry);
  return runProgram(program, argv);
}

// No top-level await: this entry is bundled as CommonJS (faster to start than ESM, measured).
void main().then((code) => {
  process.exitCode = code;
});
