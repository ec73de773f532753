/**
 * What only rootless mode needs: an unprivileged user with subordinate uid/gid ranges, a
 * systemd --user manager and a D-Bus session bus (for cgroup delegation; optional), and valid
 * K3S_ROOTLESS_* settings.
 */
import type { Probe } from '../probe.js';
import { resultFor, type Check } from '../types.js';

/** rootlesskit maps 0..65535 inside the namespace: one full range, as upstream requires. */
export const MIN_SUBORDINATE_IDS = 65536;

interface Range {
  readonly start: number;
  readonly count: number;
}

/** Entries of /etc/subuid or /etc/subgid ("name-or-id:start:count"), for everyone. */
export function parseSubordinateFile(text: string): { readonly owner: string; readonly range: Range }[] {
  const out: { owner: string; range: Range }[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (!owner || owner.startsWith('#') || !/^\d+$/.test(start ?? '') || !/^\d+$/.test(count ?? '')) continue;
    out.push({ owner, range: { start: Number(start), count: Number(count) } });
  }
  return out;
}

function subordinateCheck(kind: 'uid' | 'gid'): Check {
  const file = `/etc/sub${kind}`;
  return (probe, ctx) => {
    if (!ctx.rootless || probe.uid === 0) return undefined;
    const r = resultFor(`rootless.sub${kind}`, 'rootless', `${file} range`);
    const entries = parseSubordinateFile(probe.readFile(file) ?? '');
    const mine = entries.filter((e) => e.owner === probe.user || e.owner === String(probe.uid));
    const total = mine.reduce((n, e) => n + e.range.count, 0);
    const shown = mine.map((e) => `${e.range.start}-${e.range.start + e.range.count - 1}`).join(', ');
    if (total >= MIN_SUBORDINATE_IDS) return r.pass(`${probe.user}: ${shown} (${total} ids)`);
    // Suggest a range past every existing one in both files, so the fix cannot overlap anybody's.
    const others = [...entries, ...parseSubordinateFile(probe.readFile(kind === 'uid' ? '/etc/subgid' : '/etc/subuid') ?? '')];
    const start = Math.max(100000, ...others.map((e) => e.range.start + e.range.count));
    const range = `${start}-${start + MIN_SUBORDINATE_IDS - 1}`;
    const have = mine.length === 0 ? `no entry for ${probe.user} in ${file}` : `${probe.user} has only ${total} ids (${shown})`;
    return r.fail(`${have}; rootless mode needs at least ${MIN_SUBORDINATE_IDS}`, `sudo usermod --add-sub${kind}s ${range} ${probe.user}`);
  };
}

export const subordinateIdChecks: readonly Check[] = [subordinateCheck('uid'), subordinateCheck('gid')];

const SESSION_FIX = 'log in through a real session (ssh, a desktop, or machinectl shell USER@) so that systemd starts user@UID.service, and run sudo loginctl enable-linger USER to keep it running';

export const systemdUserCheck: Check = (probe, ctx) => {
  // Only ever a warning, and asking systemctl costs a process: not worth it before a start.
  if (!ctx.rootless || probe.uid === 0 || ctx.quick) return undefined;
  const r = resultFor('rootless.systemd-user', 'rootless', 'systemd --user manager');
  const effect = 'k3s server --rootless still runs, but without a delegated cgroup (no resource limits) and without the k3s-rootless.service unit';
  const systemctl = probe.which('systemctl');
  if (!systemctl) return r.warn(`systemctl not found; ${effect}`, 'install systemd, or start k3s server --rootless from a terminal or your own supervisor');
  const ran = probe.run(systemctl, ['--user', 'show', '--property=Version', '--value']);
  const version = ran?.code === 0 ? ran.stdout.trim() : '';
  if (version) return r.pass(`reachable (systemd ${version})`);
  const why = (ran?.stderr ?? '').split('\n').map((l) => l.trim()).find(Boolean) ?? 'no answer';
  return r.warn(`not reachable: ${why}; ${effect}`, SESSION_FIX);
};

export const sessionBusCheck: Check = (probe, ctx) => {
  if (!ctx.rootless || probe.uid === 0) return undefined;
  const r = resultFor('rootless.dbus', 'rootless', 'D-Bus session bus');
  const effect = 'k3s cannot ask systemd --user for a delegated cgroup scope';
  const found = sessionBus(probe);
  if ('problem' in found) return r.warn(`${found.problem}; ${effect}`, found.fix);
  const where = `${found.address} (${found.from})`;
  // A socket file can outlive its daemon: ask the bus itself when dbus-send is there to ask with.
  const dbusSend = ctx.quick ? undefined : probe.which('dbus-send');
  if (!dbusSend) return r.pass(where);
  const ran = probe.run(dbusSend, [`--bus=${found.address}`, '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.GetId']);
  if (ran?.code === 0) return r.pass(`${where}, answering`);
  const why = (ran?.stderr ?? '').split('\n').map((l) => l.trim()).find(Boolean) ?? 'no answer';
  return r.warn(`${where} does not answer: ${why}; ${effect}`, SESSION_FIX);
};

type BusLookup = { readonly address: string; readonly from: string } | { readonly problem: string; readonly fix: string };

/** The session bus as libdbus finds it: DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus. */
function sessionBus(probe: Probe): BusLookup {
  const address = probe.env.DBUS_SESSION_BUS_ADDRESS;
  if (address) {
    const path = /(?:^|;)unix:(?:[^;]*,)?path=([^,;]+)/.exec(address)?.[1];
    if (path === undefined || probe.stat(path)?.isSocket) return { address, from: 'DBUS_SESSION_BUS_ADDRESS' };
    return { problem: `DBUS_SESSION_BUS_ADDRESS points at ${path}, which is not a socket`, fix: `unset DBUS_SESSION_BUS_ADDRESS or fix it; ${SESSION_FIX}` };
  }
  const runtime = probe.env.XDG_RUNTIME_DIR;
  if (!runtime) return { problem: 'DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are unset', fix: SESSION_FIX };
  const bus = `${runtime}/bus`;
  if (probe.stat(bus)?.isSocket) return { address: `unix:path=${bus}`, from: '$XDG_RUNTIME_DIR/bus' };
  return { problem: `no socket at ${bus} and DBUS_SESSION_BUS_ADDRESS is unset`, fix: `sudo apt-get install dbus-user-session; ${SESSION_FIX}` };
}

export const rootlessSettingsCheck: Check = (_probe, ctx) => {
  if (!ctx.rootless || ctx.rootlessSettings === undefined) return undefined;
  const r = resultFor('rootless.settings', 'rootless', 'K3S_ROOTLESS_* settings');
  const s = ctx.rootlessSettings;
  if (s instanceof Error) return r.fail(s.message, 'correct or unset the variable named above (see docs/configuration.md)');
  const ipv6 = s.enableIPv6 === 'auto' ? 'auto (on when the cluster is dual-stack)' : String(s.enableIPv6);
  return r.pass(
    `MTU=${s.mtu} CIDR=${s.cidr} ENABLE_IPV6=${ipv6} PORT_DRIVER=${s.portDriver} DISABLE_HOST_LOOPBACK=${s.disableHostLoopback} COPYUPDIRS=${s.copyUpDirs.join(',')} (state dir ${s.stateDir})`,
  );
};

export const unprivilegedPortsCheck: Check = (probe: Probe, ctx) => {
  if (!ctx.rootless) return undefined;
  const r = resultFor('rootless.ports', 'rootless', 'unprivileged ports');
  const start = Number(probe.readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start')?.trim() ?? '1024');
  if (start === 0) return r.pass('net.ipv4.ip_unprivileged_port_start is 0: Service ports are bound on the host as they are');
  return r.pass(`net.ipv4.ip_unprivileged_port_start is ${start}: Service ports below ${start} are bound on the host at 10000+port (443 -> 10443)`);
};
