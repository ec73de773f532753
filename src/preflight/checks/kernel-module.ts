/**
 * Where a kernel feature stands, from the places a kernel tells: what is active now
 * (/proc/filesystems, /proc/sys, /proc/modules, /sys/module), what is built in
 * (modules.builtin, the kernel config) and what could be loaded (modules.dep, the kernel config).
 */
import type { Probe } from '../probe.js';

export type ModuleState =
  | { readonly state: 'active'; readonly source: string }
  | { readonly state: 'loadable'; readonly source: string }
  | { readonly state: 'missing'; readonly source: string };

export interface ModuleQuery {
  readonly module: string;
  /** Kernel config symbol, e.g. CONFIG_OVERLAY_FS. */
  readonly configSymbol: string;
  /** A cheap sign the feature is active right now (a /proc entry it registers). */
  readonly activeWhen?: (probe: Probe) => string | undefined;
}

export function moduleState(probe: Probe, query: ModuleQuery): ModuleState {
  const active = query.activeWhen?.(probe);
  if (active) return { state: 'active', source: active };
  const name = query.module;
  const loaded = probe.readFile('/proc/modules')?.split('\n').some((line) => line.startsWith(`${name} `));
  if (loaded) return { state: 'active', source: 'loaded (/proc/modules)' };
  if (probe.stat(`/sys/module/${name}`)?.isDirectory) return { state: 'active', source: `loaded (/sys/module/${name})` };

  const modulesDir = `/lib/modules/${probe.kernelRelease}`;
  const koPattern = new RegExp(`(^|/)${name.replace(/[-_]/g, '[-_]')}\\.ko(\\.(xz|gz|zst))?(:|$)`, 'm');
  if (koPattern.test(probe.readFile(`${modulesDir}/modules.builtin`) ?? '')) {
    return { state: 'active', source: `built into the kernel (${modulesDir}/modules.builtin)` };
  }
  const config = kernelConfig(probe);
  const setting = config ? new RegExp(`^${query.configSymbol}=([ym])$`, 'm').exec(config.text)?.[1] : undefined;
  if (setting === 'y') return { state: 'active', source: `built into the kernel (${query.configSymbol}=y in ${config!.path})` };
  if (koPattern.test(probe.readFile(`${modulesDir}/modules.dep`) ?? '')) {
    return { state: 'loadable', source: `module available in ${modulesDir} but not loaded` };
  }
  if (setting === 'm') return { state: 'loadable', source: `built as a module (${query.configSymbol}=m in ${config!.path}) but not loaded` };
  const looked = config ? `${query.configSymbol} is not set in ${config.path}` : `no ${name} module in ${modulesDir} and no kernel config to consult`;
  return { state: 'missing', source: looked };
}

/** The running kernel's build configuration, from /proc/config.gz or /boot/config-<release>. */
export function kernelConfig(probe: Probe): { readonly path: string; readonly text: string } | undefined {
  const proc = probe.readGzipFile('/proc/config.gz');
  if (proc) return { path: '/proc/config.gz', text: proc };
  const path = `/boot/config-${probe.kernelRelease}`;
  const boot = probe.readFile(path);
  return boot ? { path, text: boot } : undefined;
}

/** [major, minor] of a release such as "6.1.0-18-amd64"; undefined when unparseable. */
export function kernelVersion(release: string): readonly [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
