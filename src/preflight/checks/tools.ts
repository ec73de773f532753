/**
 * The programs a node runs, found on PATH (or in the sbin directories), with their versions:
 * containerd, runc, iptables and the CNI plugins for any node; rootlesskit, slirp4netns and
 * newuidmap/newgidmap (which must be setuid root or carry file capabilities) for rootless.
 */
import type { Probe } from '../probe.js';
import { resultFor, type Check, type CheckResult } from '../types.js';

interface Tool {
  readonly id: string;
  readonly command: string;
  readonly package: string;
  readonly purpose: string;
  readonly versionArgs: readonly string[];
  /** Picks the version out of the --version output. */
  readonly version: (output: string) => string | undefined;
  readonly rootlessOnly?: boolean;
}

const firstMatch = (re: RegExp) => (output: string) => re.exec(output)?.[1];

const TOOLS: readonly Tool[] = [
  { id: 'tools.containerd', command: 'containerd', package: 'containerd', purpose: 'the container runtime', versionArgs: ['--version'], version: firstMatch(/containerd\S*\s+(?:\S+\s+)?v?(\d+\.\d+\.\d+\S*)/) },
  { id: 'tools.runc', command: 'runc', package: 'runc', purpose: 'the OCI runtime containerd starts containers with', versionArgs: ['--version'], version: firstMatch(/runc version (\S+)/) },
  { id: 'tools.iptables', command: 'iptables', package: 'iptables', purpose: 'Service routing and pod masquerading', versionArgs: ['--version'], version: firstMatch(/iptables (v\S+(?: \([^)]+\))?)/) },
  { id: 'tools.rootlesskit', command: 'rootlesskit', package: 'rootlesskit', purpose: 'the rootless namespaces', versionArgs: ['--version'], version: firstMatch(/rootlesskit version (\S+)/), rootlessOnly: true },
  { id: 'tools.slirp4netns', command: 'slirp4netns', package: 'slirp4netns', purpose: 'the rootless network', versionArgs: ['--version'], version: firstMatch(/slirp4netns version (\S+)/), rootlessOnly: true },
];

function toolCheck(tool: Tool): Check {
  return (probe, ctx) => {
    if (tool.rootlessOnly && !ctx.rootless) return undefined;
    // Agent pieces are required only where an agent runs; rootless pieces whenever rootless.
    const required = tool.rootlessOnly ? ctx.rootless : ctx.agent;
    const r = resultFor(tool.id, 'tools', tool.command);
    const path = probe.which(tool.command);
    if (!path) {
      return r.need(required, `${tool.command} not found on PATH or in /usr/sbin, /sbin; it is ${tool.purpose}`, `sudo apt-get install ${tool.package} (or run ./install.sh)`);
    }
    if (ctx.quick) return r.pass(path);
    const ran = probe.run(path, tool.versionArgs);
    const output = ran ? `${ran.stdout}\n${ran.stderr}` : '';
    const version = tool.version(output);
    if (!ran || ran.code !== 0) {
      return r.need(required, `${path} is present but "${tool.command} ${tool.versionArgs.join(' ')}" failed: ${firstLine(output) || 'could not run it'}`, `reinstall it: sudo apt-get install --reinstall ${tool.package}`);
    }
    return r.pass(`${version ?? firstLine(output) ?? 'version unknown'} (${path})`);
  };
}

export const toolChecks: readonly Check[] = TOOLS.map(toolCheck);

/** The plugins the node's pod network is built from. */
export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'] as const;
const CNI_DIRS = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni'];

export const cniCheck: Check = (probe, ctx) => {
  const r = resultFor('tools.cni', 'tools', 'CNI plugins');
  const candidates = CNI_DIRS.map((dir) => ({ dir, names: probe.readDir(dir) ?? [] })).filter((d) => d.names.length > 0);
  const complete = candidates.find((d) => CNI_PLUGINS.every((p) => d.names.includes(p)));
  if (complete) {
    const run = ctx.quick ? undefined : probe.run(`${complete.dir}/bridge`, ['--version']);
    const version = /plugin (?:version )?(v?\d\S*)/.exec(run?.stdout ?? '')?.[1];
    return r.pass(`${CNI_PLUGINS.join(', ')} in ${complete.dir}${version ? ` (${version})` : ''}`);
  }
  const best = candidates[0];
  const detail = best
    ? `${best.dir} lacks ${CNI_PLUGINS.filter((p) => !best.names.includes(p)).join(', ')}`
    : `no CNI plugins in ${CNI_DIRS.join(', ')}`;
  return r.need(ctx.agent, `${detail}; pods need ${CNI_PLUGINS.join(', ')}`, 'sudo apt-get install containernetworking-plugins (or run ./install.sh)');
};

/** newuidmap/newgidmap write the user's subordinate ranges into the namespace: they need privilege. */
function idMapCheck(command: 'newuidmap' | 'newgidmap'): Check {
  const capability = command === 'newuidmap' ? 'cap_setuid' : 'cap_setgid';
  return (probe, ctx) => {
    if (!ctx.rootless) return undefined;
    const r = resultFor(`tools.${command}`, 'tools', command);
    const path = probe.which(command);
    if (!path) return r.fail(`${command} not found; rootlesskit maps the subordinate ids with it`, 'sudo apt-get install uidmap');
    return privilege(probe, path, capability, r);
  };
}

function privilege(probe: Probe, path: string, capability: string, r: ReturnType<typeof resultFor>): CheckResult {
  const info = probe.stat(path);
  if (info && info.uid === 0 && (info.mode & 0o4000) !== 0) return r.pass(`${path}, setuid root`);
  const getcap = probe.which('getcap');
  const caps = getcap ? probe.run(getcap, [path]) : undefined;
  if (caps && new RegExp(`${capability}\\b`).test(caps.stdout)) return r.pass(`${path}, file capability ${capability}`);
  const fix = `sudo chmod u+s ${path} (or: sudo setcap ${capability}+ep ${path})`;
  if (!getcap) return r.fail(`${path} is not setuid root, and getcap (libcap2-bin) is not installed to look for file capabilities`, fix);
  return r.fail(`${path} is neither setuid root nor has ${capability}; rootlesskit cannot map the subordinate ids`, fix);
}

export const idMapChecks: readonly Check[] = [idMapCheck('newuidmap'), idMapCheck('newgidmap')];

function firstLine(text: string): string | undefined {
  return text.split('\n').map((l) => l.trim()).find(Boolean);
}
