/**
 * Reads raw settings from the three sources: config files, K3S_* environment, command line.
 * Each source yields `RawSetting`s that remember where they came from, so errors can name the
 * key and the file (or variable, or flag) at fault.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Yaml from 'yaml';
import { ConfigError } from './errors.js';
import { FLAGS, flagSpec, type FlagSpec, type Role } from './flags.js';

export type RawValue = string | number | boolean | string[];

export interface RawSetting {
  readonly value: RawValue;
  /** Append to what lower-precedence sources or earlier files set (`key+:` in config files). */
  readonly append: boolean;
  /** "flag --x", "env K3S_X", or "file /path key x". */
  readonly origin: string;
}

export type RawSettings = Map<string, RawSetting>;

/**
 * The config file followed by the drop-ins beside it in lexical order, as upstream: for
 * /etc/rancher/k3s/config.yaml that is /etc/rancher/k3s/config.yaml.d/*.yaml (and *.yml, any
 * case); for --config /x/k3s.yaml it is /x/k3s.yaml.d/.
 */
export function configFilesFor(mainPath: string): string[] {
  const files: string[] = [];
  if (existsSync(mainPath)) files.push(mainPath);
  const dropIns = `${mainPath}.d`;
  if (existsSync(dropIns)) {
    for (const entry of readdirSync(dropIns, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (!entry.isDirectory() && /\.ya?ml$/i.test(entry.name)) files.push(join(dropIns, entry.name));
    }
  }
  return files;
}

/**
 * Merges config files in order: a later file replaces an earlier value, except `key+:` which
 * appends. Keys for the other role (agent-only keys in a server's file) are ignored, as
 * upstream does, so one file can serve both; unknown keys are errors.
 */
export function readConfigFiles(files: readonly string[], role: Role): RawSettings {
  const merged: RawSettings = new Map();
  for (const file of files) {
    for (const [key, setting] of readConfigFile(file, role)) {
      const before = merged.get(key);
      merged.set(key, setting.append && before ? appendSetting(before, setting, key) : setting);
    }
  }
  return merged;
}

/**
 * The yaml package, loaded on first use: most starts have no config file, and yaml is ~70 files
 * (~40 ms) that the rootless launcher, which exists only to check and hand over, would load for nothing.
 */
let yamlModule: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yamlModule;
}

function readConfigFile(file: string, role: Role): RawSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const doc = yaml().parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ConfigError(`config file ${file} is not valid YAML: ${first.message.split('\n')[0]!.replace(/:$/, '')}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return new Map();
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`config file ${file} must be a YAML mapping of flag names to values`);
  }
  const out: RawSettings = new Map();
  for (const [rawKey, value] of Object.entries(data as Record<string, unknown>)) {
    const append = rawKey.endsWith('+');
    const key = append ? rawKey.slice(0, -1) : rawKey;
    const spec = flagSpec(key);
    if (!spec) {
      throw new ConfigError(`unknown key "${rawKey}" in config file ${file}: it is not a k3s flag (see docs/configuration.md)`);
    }
    if (!spec.roles.includes(role)) continue;
    if (append && spec.kind !== 'list' && spec.kind !== 'string') {
      throw new ConfigError(`key "${rawKey}" in config file ${file}: "+" appends only to list or string flags, and ${key} is a ${spec.kind}`);
    }
    const origin = `config file ${file} key "${key}"`;
    out.set(key, { value: coerceFileValue(spec, value, origin), append, origin });
  }
  return out;
}

function coerceFileValue(spec: FlagSpec, value: unknown, origin: string): RawValue {
  const bad = (want: string): never => {
    const shown = spec.secret ? '(value hidden)' : JSON.stringify(value);
    throw new ConfigError(`${origin}: expected ${want}, got ${shown}`);
  };
  switch (spec.kind) {
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return bad('true or false');
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
      return bad('a whole number');
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return bad('a string');
    case 'list':
      if (Array.isArray(value)) {
        return value.map((item) => (typeof item === 'string' || typeof item === 'number' ? String(item) : bad('a list of strings')));
      }
      if (typeof value === 'string' || typeof value === 'number') return [String(value)];
      return bad('a string or a list of strings');
  }
}

function appendSetting(before: RawSetting, next: RawSetting, key: string): RawSetting {
  if (Array.isArray(before.value) && Array.isArray(next.value)) {
    return { value: [...before.value, ...next.value], append: before.append, origin: next.origin };
  }
  if (typeof before.value === 'string' && typeof next.value === 'string') {
    // Upstream joins appended strings with a comma (e.g. node-label lists given as strings).
    return { value: `${before.value},${next.value}`, append: before.append, origin: next.origin };
  }
  throw new ConfigError(`${next.origin}: cannot append to "${key}" set as ${typeof before.value} by ${before.origin}`);
}

/** K3S_* variables named in the flag table. */
export function readEnvironment(env: NodeJS.ProcessEnv, role: Role): RawSettings {
  const out: RawSettings = new Map();
  for (const spec of FLAGS) {
    if (!spec.env || !spec.roles.includes(role)) continue;
    const raw = env[spec.env];
    if (raw === undefined || raw === '') continue;
    const origin = `environment variable ${spec.env}`;
    out.set(spec.name, { value: coerceText(spec, raw, origin), append: false, origin });
  }
  return out;
}

/** Converts a value given as text (env or command line) to the flag's kind. */
export function coerceText(spec: FlagSpec, raw: string, origin: string): RawValue {
  switch (spec.kind) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      throw new ConfigError(`${origin}: expected true or false, got "${raw}"`);
    }
    case 'int':
      if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${origin}: expected a whole number, got "${raw}"`);
      return Number(raw);
    case 'string':
      return raw;
    case 'list':
      return spec.commaSeparated ? splitList(raw) : [raw];
  }
}

export function splitList(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
