/** /dev/net/tun: slirp4netns creates the rootless network's tap device through it, as the user. */
import { resultFor, type Check } from '../types.js';

export const tunCheck: Check = (probe, ctx) => {
  if (!ctx.rootless) return undefined;
  const r = resultFor('devices.tun', 'devices', '/dev/net/tun');
  const info = probe.stat('/dev/net/tun');
  if (!info?.isCharacterDevice) {
    return r.fail('/dev/net/tun does not exist; slirp4netns needs it for the rootless network', 'sudo modprobe tun (or: sudo mkdir -p /dev/net && sudo mknod -m 0666 /dev/net/tun c 10 200)');
  }
  const opened = probe.openReadWrite('/dev/net/tun');
  const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
  if (opened.ok) return r.pass(`read-write for ${probe.user} (mode ${mode})`);
  return r.fail(
    `${probe.user} cannot open /dev/net/tun (${opened.code}, mode ${mode}); slirp4netns would fail with "open: Permission denied"`,
    'sudo chmod 0666 /dev/net/tun (./install.sh does this; to keep it across reboots add a udev rule: KERNEL=="tun", MODE="0666")',
  );
};
