/**
 * `k3s crictl`: the everyday subset of crictl written over our CRI client (no crictl binary
 * on Debian 12): ps, pods, images, logs, inspect, inspectp, rmi, exec (without a terminal),
 * stop, rm, stopp, rmp, version and info, against this node's
 * containerd (or -r/--runtime-endpoint, CONTAINER_RUNTIME_ENDPOINT). Tables follow crictl's
 * layout (columns of at least 20 characters, 13-character IDs, "2 minutes ago", sizes in
 * decimal units) so scripts and habits that read crictl output keep working.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Command } from 'commander';
import type { CriClient } from '../agent/cri/index.js';
import type { Container, ContainerStatus, PodSandbox } from '../agent/cri/types.js';
import { ConfigError } from '../config/index.js';
import { noRuntimeMessage, runtimeTarget } from './runtime-target.js';

const TRUNCATED_ID = 13;

/** docker/go-units HumanDuration, which crictl prints with " ago". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const exactHours = ms / 3_600_000;
  const hours = Math.floor(exactHours + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(exactHours / 24 / 365)} years`;
}

/** docker/go-units HumanSizeWithPrecision(size, 3): decimal units, three significant digits. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${parseFloat(size.toPrecision(3))}${units[i]}`;
}

/** Go's text/tabwriter as crictl configures it (minwidth 20, padding 3): every column but the last is padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, Math.max(20, cell.length + 3))));
  return rows.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('')).join('\n') + '\n';
}

function truncateId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, TRUNCATED_ID);
}

function containerState(state: string): string {
  return ({ CONTAINER_CREATED: 'Created', CONTAINER_RUNNING: 'Running', CONTAINER_EXITED: 'Exited' } as Record<string, string>)[state] ?? 'Unknown';
}

function ago(createdAtNs: number, now: number): string {
  return `${humanDuration(now - createdAtNs / 1e6)} ago`;
}

export function psTable(containers: readonly Container[], now: number, quiet: boolean): string {
  const sorted = [...containers].sort((a, b) => b.createdAt - a.createdAt);
  if (quiet) return sorted.map((c) => `${c.id}\n`).join('');
  const rows = [['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD']];
  for (const c of sorted) {
    const image = /^sha256:[0-9a-f]{64}$/.test(c.image.image) ? truncateId(c.image.image) : c.image.image;
    rows.push([truncateId(c.id), image, ago(c.createdAt, now), containerState(c.state), c.metadata.name, String(c.metadata.attempt), truncateId(c.podSandboxId), c.labels['io.kubernetes.pod.name'] ?? 'unknown']);
  }
  return table(rows);
}

export function podsTable(sandboxes: readonly PodSandbox[], now: number, quiet: boolean): string {
  const sorted = [...sandboxes].sort((a, b) => b.createdAt - a.createdAt);
  if (quiet) return sorted.map((s) => `${s.id}\n`).join('');
  const rows = [['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME']];
  for (const s of sorted) {
    const handler = (s as PodSandbox & { runtimeHandler?: string }).runtimeHandler;
    rows.push([truncateId(s.id), ago(s.createdAt, now), s.state === 'SANDBOX_READY' ? 'Ready' : 'NotReady', s.metadata.name, s.metadata.namespace, String(s.metadata.attempt), handler || '(default)']);
  }
  return table(rows);
}

export function imagesTable(images: readonly { id: string; repoTags: string[]; repoDigests: string[]; size: number }[], quiet: boolean): string {
  if (quiet) return images.map((i) => `${i.id}\n`).join('');
  const rows = [['IMAGE', 'TAG', 'IMAGE ID', 'SIZE']];
  for (const image of images) {
    const refs = image.repoTags.length > 0 ? image.repoTags : image.repoDigests.map((d) => `${d.split('@')[0]}:<none>`);
    for (const ref of refs.length > 0 ? refs : ['<none>:<none>']) {
      const colon = ref.lastIndexOf(':');
      const slash = ref.lastIndexOf('/');
      const [repo, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, '<none>'];
      rows.push([repo, tag, truncateId(image.id), humanSize(Number(image.size))]);
    }
  }
  return table(rows);
}

/** CRI log lines ("<time> <stream> <P|F> <text>") back to what the container wrote, per stream. */
export function parseCriLog(text: string): { stream: 'stdout' | 'stderr'; text: string; time: string }[] {
  const out: { stream: 'stdout' | 'stderr'; text: string; time: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) (stdout|stderr) (P|F) (.*)$/.exec(line);
    if (!m) continue;
    out.push({ time: m[1]!, stream: m[2] as 'stdout' | 'stderr', text: m[4]! + (m[3] === 'F' ? '\n' : '') });
  }
  return out;
}

/** The last `tail` lines (a line ends at an F entry); -1 keeps all. */
export function tailEntries<T extends { text: string }>(entries: readonly T[], tail: number): T[] {
  if (tail < 0) return [...entries];
  let lines = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i]!.text.endsWith('\n')) {
      if (lines === tail) return entries.slice(i + 1);
      lines++;
    }
  }
  return [...entries];
}

/** int64 fields as protobuf JSON writes them (strings), as crictl's inspect prints them. */
function protoJson(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => protoJson(v));
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, protoJson(v, k)]));
  if (typeof value === 'number' && /At$/.test(key)) return String(value);
  return value;
}

interface CrictlGlobals {
  readonly runtimeEndpoint?: string;
  readonly dataDir?: string;
}

async function client(globals: CrictlGlobals): Promise<CriClient> {
  let endpoint = globals.runtimeEndpoint ?? process.env['CONTAINER_RUNTIME_ENDPOINT'];
  if (!endpoint) {
    const target = runtimeTarget(globals.dataDir ? ['--data-dir', globals.dataDir] : [], process.getuid?.() ?? 0, homedir());
    if (!existsSync(target.socket)) throw new ConfigError(noRuntimeMessage('crictl', target).replace(/^k3s crictl: /, ''));
    endpoint = target.socket;
  }
  // Loaded on demand: gRPC and the CRI protos would slow every k3s command (the rootless launcher too).
  const { CriClient } = await import('../agent/cri/index.js');
  return new CriClient(endpoint.replace(/^unix:\/\//, ''), { timeoutMs: 30_000 });
}

async function withClient(command: Command, fn: (cri: CriClient) => Promise<void>): Promise<void> {
  const cri = await client(command.optsWithGlobals<CrictlGlobals>());
  try {
    await fn(cri);
  } catch (err) {
    const details = (err as { details?: string }).details;
    throw new Error(details ? `${details}` : (err as Error).message, { cause: err });
  } finally {
    cri.close();
  }
}

export function registerCrictl(program: Command): void {
  const crictl = program
    .command('crictl')
    .description("A subset of crictl (ps, pods, images, logs, inspect, inspectp, rmi, exec, stop, rm, stopp, rmp, version, info) against this node's containerd")
    .option('-r, --runtime-endpoint <endpoint>', 'CRI endpoint (default: this install\'s containerd socket; env CONTAINER_RUNTIME_ENDPOINT)')
    .option('-d, --data-dir <dir>', 'data dir of the k3s whose containerd to use')
    .enablePositionalOptions();

  crictl
    .command('ps')
    .description('List containers (running ones unless -a)')
    .option('-a, --all', 'show all containers')
    .option('-q, --quiet', 'only display container IDs')
    .option('--name <regexp>', 'filter by container name regular expression')
    .option('-p, --pod <id>', 'filter by pod sandbox ID')
    .option('--state <state>', 'filter by state: created, running, exited, unknown')
    .action(async (opts: { all?: boolean; quiet?: boolean; name?: string; pod?: string; state?: string }, command: Command) =>
      withClient(command, async (cri) => {
        const state = opts.state ? (`CONTAINER_${opts.state.toUpperCase()}` as Container['state']) : opts.all ? undefined : 'CONTAINER_RUNNING';
        let list = await cri.listContainers({ ...(state ? { state } : {}) });
        if (opts.pod) list = list.filter((c) => c.podSandboxId.startsWith(opts.pod!));
        if (opts.name) {
          const re = new RegExp(opts.name);
          list = list.filter((c) => re.test(c.metadata.name));
        }
        process.stdout.write(psTable(list, Date.now(), opts.quiet === true));
      }),
    );

  crictl
    .command('pods')
    .description('List pod sandboxes')
    .option('-q, --quiet', 'only display pod IDs')
    .option('--name <regexp>', 'filter by pod name regular expression')
    .option('--namespace <regexp>', 'filter by pod namespace regular expression')
    .option('--state <state>', 'filter by state: ready or notready')
    .action(async (opts: { quiet?: boolean; name?: string; namespace?: string; state?: string }, command: Command) =>
      withClient(command, async (cri) => {
        const state = opts.state ? (opts.state.toLowerCase() === 'ready' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY') : undefined;
        let list = await cri.listPodSandbox({ ...(state ? { state } : {}) });
        if (opts.name) list = list.filter((s) => new RegExp(opts.name!).test(s.metadata.name));
        if (opts.namespace) list = list.filter((s) => new RegExp(opts.namespace!).test(s.metadata.namespace));
        process.stdout.write(podsTable(list, Date.now(), opts.quiet === true));
      }),
    );

  crictl
    .command('images')
    .alias('image')
    .alias('img')
    .description('List images')
    .option('-q, --quiet', 'only display image IDs')
    .argument('[repository]', 'only images of this repository')
    .action(async (repository: string | undefined, opts: { quiet?: boolean }, command: Command) =>
      withClient(command, async (cri) => {
        let images = await cri.listImages();
        if (repository) images = images.filter((i) => i.repoTags.some((t) => t === repository || t.startsWith(`${repository}:`)));
        process.stdout.write(imagesTable(images, opts.quiet === true));
      }),
    );

  crictl
    .command('logs')
    .description("Print a container's logs")
    .option('--tail <lines>', 'number of lines to show from the end (-1: all)', '-1')
    .option('-t, --timestamps', 'show timestamps')
    .option('-f, --follow', 'keep printing new lines')
    .option('-p, --previous', 'print the logs of the previous instance of the container in the pod')
    .argument('<container-id>')
    .action(async (id: string, opts: { tail: string; timestamps?: boolean; follow?: boolean; previous?: boolean }, command: Command) =>
      withClient(command, async (cri) => {
        let status: ContainerStatus = await cri.containerStatus(id);
        if (opts.previous) {
          const all = await cri.listContainers();
          const sandbox = all.find((c) => c.id === status.id)?.podSandboxId;
          const previous = all.filter((c) => c.podSandboxId === sandbox && c.metadata.name === status.metadata.name && c.metadata.attempt < status.metadata.attempt).sort((a, b) => b.metadata.attempt - a.metadata.attempt)[0];
          if (!previous) throw new Error(`container ${id} has no previous instance`);
          status = await cri.containerStatus(previous.id);
        }
        const tail = Number(opts.tail);
        if (!Number.isInteger(tail)) throw new ConfigError(`--tail must be a whole number, not "${opts.tail}"`);
        const print = (entries: ReturnType<typeof parseCriLog>): void => {
          for (const e of entries) (e.stream === 'stderr' ? process.stderr : process.stdout).write(opts.timestamps ? `${e.time} ${e.text}` : e.text);
        };
        const read = (): string => (existsSync(status.logPath) ? readFileSync(status.logPath, 'utf8') : '');
        let text = read();
        let consumed = text.lastIndexOf('\n') + 1;
        print(tailEntries(parseCriLog(text.slice(0, consumed)), tail));
        while (opts.follow) {
          await new Promise((r) => setTimeout(r, 250));
          if (existsSync(status.logPath) && statSync(status.logPath).size < consumed) consumed = 0;
          text = read();
          const end = text.lastIndexOf('\n') + 1;
          if (end > consumed) print(parseCriLog(text.slice(consumed, end)));
          consumed = Math.max(consumed, end);
          const now = await cri.containerStatus(status.id).catch(() => undefined);
          if (!now || now.state !== 'CONTAINER_RUNNING') break;
        }
      }),
    );

  crictl
    .command('inspect')
    .description("Show containers' status as JSON")
    .argument('<container-id...>')
    .action(async (ids: string[], _opts: unknown, command: Command) =>
      withClient(command, async (cri) => {
        for (const id of ids) process.stdout.write(`${JSON.stringify({ status: protoJson(await cri.containerStatus(id)) }, null, 2)}\n`);
      }),
    );

  crictl
    .command('inspectp')
    .description("Show pod sandboxes' status as JSON")
    .argument('<pod-id...>')
    .action(async (ids: string[], _opts: unknown, command: Command) =>
      withClient(command, async (cri) => {
        for (const id of ids) process.stdout.write(`${JSON.stringify({ status: protoJson(await cri.podSandboxStatus(id)) }, null, 2)}\n`);
      }),
    );

  crictl
    .command('version')
    .description('Show the runtime version')
    .action(async (_opts: unknown, command: Command) =>
      withClient(command, async (cri) => {
        const v = await cri.version();
        process.stdout.write(`Version:  ${v.version}\nRuntimeName:  ${v.runtimeName}\nRuntimeVersion:  ${v.runtimeVersion}\nRuntimeApiVersion:  ${v.runtimeApiVersion}\n`);
      }),
    );

  crictl
    .command('info')
    .description("Show the runtime's conditions as JSON")
    .action(async (_opts: unknown, command: Command) =>
      withClient(command, async (cri) => {
        process.stdout.write(`${JSON.stringify({ status: { conditions: await cri.status() } }, null, 2)}\n`);
      }),
    );

  crictl
    .command('exec')
    .description('Run a command in a running container and wait for it (-i/-t need kubectl exec)')
    .option('-s, --sync', 'run synchronously (the only mode here)')
    .option('--timeout <seconds>', 'stop the command after this many seconds (0: no limit)', '0')
    .option('-i, --interactive', 'not supported here: use kubectl exec -i')
    .option('-t, --tty', 'not supported here: use kubectl exec -t')
    .passThroughOptions()
    .argument('<container-id>')
    .argument('<command...>')
    .action(async (id: string, cmd: string[], opts: { timeout: string; interactive?: boolean; tty?: boolean }, command: Command) => {
      if (opts.interactive || opts.tty) throw new ConfigError('k3s crictl exec runs commands without a terminal or stdin; for -i/-t use: k3s kubectl exec -it POD -- COMMAND');
      const timeout = Number(opts.timeout);
      if (!Number.isInteger(timeout) || timeout < 0) throw new ConfigError(`--timeout must be a whole number of seconds, not "${opts.timeout}"`);
      await withClient(command, async (cri) => {
        // ExecSync with timeout 0 waits as long as the command runs; our client's deadline needs a bound.
        const result = await cri.execSync(id, cmd, timeout || 24 * 3600);
        process.stdout.write(result.stdout);
        process.stderr.write(result.stderr);
        process.exitCode = result.exitCode;
      });
    });

  for (const [name, what] of [['stop', 'Stop running containers'], ['rm', 'Remove containers']] as const) {
    crictl
      .command(name)
      .description(what)
      .option('-t, --timeout <seconds>', 'seconds to wait before killing the container (stop)', '0')
      .argument('<container-id...>')
      .action(async (ids: string[], opts: { timeout: string }, command: Command) =>
        withClient(command, async (cri) => {
          for (const id of ids) {
            if (name === 'stop') await cri.stopContainer(id, Number(opts.timeout) || 0);
            else await cri.removeContainer(id);
            process.stdout.write(`${id}\n`);
          }
        }),
      );
  }

  for (const [name, what] of [['stopp', 'Stop pod sandboxes'], ['rmp', 'Remove pod sandboxes']] as const) {
    crictl
      .command(name)
      .description(what)
      .argument('<pod-id...>')
      .action(async (ids: string[], _opts: unknown, command: Command) =>
        withClient(command, async (cri) => {
          for (const id of ids) {
            if (name === 'stopp') await cri.stopPodSandbox(id);
            else await cri.removePodSandbox(id);
            process.stdout.write(`${name === 'stopp' ? 'Stopped' : 'Removed'} sandbox ${id}\n`);
          }
        }),
      );
  }

  crictl
    .command('rmi')
    .description('Remove images')
    .argument('<image...>')
    .action(async (images: string[], _opts: unknown, command: Command) =>
      withClient(command, async (cri) => {
        for (const image of images) {
          const found = await cri.imageStatus(image);
          if (!found) throw new Error(`no such image ${image}`);
          await cri.removeImage(found.id);
          for (const name of found.repoTags.length > 0 ? found.repoTags : [found.id]) process.stdout.write(`Deleted: ${name}\n`);
        }
      }),
    );
}
