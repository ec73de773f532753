/**
 * Merges the sources by precedence (command line > K3S_* environment > config files >
 * defaults) into one map of values, and rejects flags that exist upstream but are not
 * supported here yet.
 */
import { ConfigError } from './errors.js';
import { flagsFor, type FlagSpec, type Role } from './flags.js';
import type { RawSettings, RawValue } from './sources.js';

export interface ResolvedValue {
  readonly value: RawValue | undefined;
  /** Where the value came from, "default" when nothing set it. */
  readonly origin: string;
}

export type ResolvedValues = ReadonlyMap<string, ResolvedValue>;

export interface SourceLayers {
  readonly files: RawSettings;
  readonly env: RawSettings;
  readonly cli: RawSettings;
}

export function resolveValues(role: Role, layers: SourceLayers, defaults: (spec: FlagSpec) => RawValue | undefined): ResolvedValues {
  const out = new Map<string, ResolvedValue>();
  for (const spec of flagsFor(role)) {
    const set = layers.cli.get(spec.name) ?? layers.env.get(spec.name) ?? layers.files.get(spec.name);
    if (set && !spec.supported) {
      throw new ConfigError(
        `--${spec.name} (set by ${set.origin}) is not supported yet by this k3s; remove it, or see docs/configuration.md for what is supported`,
      );
    }
    out.set(spec.name, set ? { value: set.value, origin: set.origin } : { value: defaults(spec), origin: 'default' });
  }
  return out;
}
