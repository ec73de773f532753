/**
 * Who is running: a node without --rootless needs root (containerd, mounts, iptables), while
 * rootless mode must not be root (rootlesskit refuses it).
 */
import { resultFor, type Check } from '../types.js';

export const rootUserCheck: Check = (probe, ctx) => {
  if (ctx.rootless) return undefined;
  const r = resultFor('host.root', 'config', 'root privileges');
  if (probe.uid === 0) return r.pass('running as root');
  return r.need(
    ctx.agent,
    `running as ${probe.user} (uid ${probe.uid}); a node agent without --rootless needs root for containerd, mounts and iptables`,
    'run as root (sudo k3s ...), or use rootless mode: k3s check-config --rootless, then k3s server --rootless',
  );
};

export const unprivilegedUserCheck: Check = (probe, ctx) => {
  if (!ctx.rootless) return undefined;
  const r = resultFor('rootless.user', 'rootless', 'unprivileged user');
  if (probe.uid === 0) {
    return r.fail(
      'running as root: rootless mode runs as the unprivileged user who owns the cluster (rootlesskit refuses root)',
      'run as that user, e.g. sudo -iu USER k3s check-config --rootless',
    );
  }
  return r.pass(`${probe.user} (uid ${probe.uid})`);
};

