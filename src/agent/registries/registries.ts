/**
 * registries.yaml as upstream k3s reads it (/etc/rancher/k3s/registries.yaml, rootless
 * ~/.config/k3s/registries.yaml, or --private-registry): `mirrors` (per registry host, or "*"
 * for every host, a list of endpoints) and `configs` (per registry host: auth and TLS). A
 * missing file means no private registries; a file that does not parse stops the agent with
 * the file and the problem named, because pulls would otherwise go somewhere unexpected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface RegistryAuth {
  readonly username?: string;
  readonly password?: string;
  /** base64 of "username:password". */
  readonly auth?: string;
  readonly identitytoken?: string;
}

export interface RegistryTls {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly insecureSkipVerify?: boolean;
}

export interface Mirror {
  /** Endpoint URLs in the order they are tried (scheme added when missing: https). */
  readonly endpoints: readonly string[];
  /** Repository rewrites (regexp -> replacement); containerd 1.6 cannot apply them. */
  readonly rewrite: Readonly<Record<string, string>>;
}

export interface RegistryConfig {
  readonly auth?: RegistryAuth;
  readonly tls?: RegistryTls;
}

export interface Registries {
  /** Keyed by registry host ("docker.io", "registry.example:5000", or "*"). */
  readonly mirrors: ReadonlyMap<string, Mirror>;
  /** Keyed by host[:port] of a registry or of a mirror endpoint (a URL is reduced to its host). */
  readonly configs: ReadonlyMap<string, RegistryConfig>;
}

export class RegistriesError extends Error {
  override readonly name = 'RegistriesError';
}

export const NO_REGISTRIES: Registries = { mirrors: new Map(), configs: new Map() };

/** Reads `file`; NO_REGISTRIES when it does not exist. */
export function loadRegistries(file: string | undefined): Registries {
  if (!file || !existsSync(file)) return NO_REGISTRIES;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RegistriesError(`reading the private registry file ${file} failed: ${(err as Error).message}`, { cause: err });
  }
  return parseRegistries(text, file);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseRegistries(text: string, file = 'registries.yaml'): Registries {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new RegistriesError(`${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (doc === null || doc === undefined) return NO_REGISTRIES;
  const fail = (where: string, what: string): never => {
    throw new RegistriesError(`${file}: ${where}: ${what}`);
  };
  if (!isObj(doc)) return fail('top level', 'expected a mapping with "mirrors" and/or "configs"');
  const str = (where: string, v: unknown): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') fail(where, `expected a string, got ${JSON.stringify(v)}`);
    return v as string;
  };
  const mirrors = new Map<string, Mirror>();
  const rawMirrors = doc['mirrors'] ?? {};
  if (!isObj(rawMirrors)) fail('mirrors', 'expected a mapping of registry host to {endpoint: [...]}');
  for (const [host, raw] of Object.entries(rawMirrors as Obj)) {
    const where = `mirrors."${host}"`;
    if (!isObj(raw)) fail(where, 'expected a mapping with "endpoint"');
    const m = raw as Obj;
    const endpoint = m['endpoint'] ?? [];
    if (!Array.isArray(endpoint)) fail(`${where}.endpoint`, 'expected a list of URLs');
    const endpoints = (endpoint as unknown[]).map((e, i) => normalizeEndpoint(str(`${where}.endpoint[${i}]`, e) ?? '', `${where}.endpoint[${i}]`, fail));
    const rewrite: Record<string, string> = {};
    if (m['rewrite'] !== undefined) {
      if (!isObj(m['rewrite'])) fail(`${where}.rewrite`, 'expected a mapping of regexp to replacement');
      for (const [re, to] of Object.entries(m['rewrite'] as Obj)) {
        try {
          new RegExp(re);
        } catch {
          fail(`${where}.rewrite`, `"${re}" is not a valid regular expression`);
        }
        rewrite[re] = str(`${where}.rewrite."${re}"`, to) ?? '';
      }
    }
    mirrors.set(host, { endpoints, rewrite });
  }
  const configs = new Map<string, RegistryConfig>();
  const rawConfigs = doc['configs'] ?? {};
  if (!isObj(rawConfigs)) fail('configs', 'expected a mapping of registry host to {auth, tls}');
  for (const [key, raw] of Object.entries(rawConfigs as Obj)) {
    const where = `configs."${key}"`;
    if (!isObj(raw)) fail(where, 'expected a mapping with "auth" and/or "tls"');
    const c = raw as Obj;
    let auth: RegistryAuth | undefined;
    if (c['auth'] !== undefined && c['auth'] !== null) {
      if (!isObj(c['auth'])) fail(`${where}.auth`, 'expected a mapping (username, password, auth, identitytoken)');
      const a = c['auth'] as Obj;
      const entries = { username: str(`${where}.auth.username`, a['username']), password: str(`${where}.auth.password`, a['password']), auth: str(`${where}.auth.auth`, a['auth']), identitytoken: str(`${where}.auth.identitytoken`, a['identitytoken']) };
      auth = Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined && v !== '')) as RegistryAuth;
    }
    let tls: RegistryTls | undefined;
    if (c['tls'] !== undefined && c['tls'] !== null) {
      if (!isObj(c['tls'])) fail(`${where}.tls`, 'expected a mapping (ca_file, cert_file, key_file, insecure_skip_verify)');
      const t = c['tls'] as Obj;
      const skip = t['insecure_skip_verify'];
      if (skip !== undefined && typeof skip !== 'boolean') fail(`${where}.tls.insecure_skip_verify`, 'expected true or false');
      const entries = { caFile: str(`${where}.tls.ca_file`, t['ca_file']), certFile: str(`${where}.tls.cert_file`, t['cert_file']), keyFile: str(`${where}.tls.key_file`, t['key_file']), insecureSkipVerify: skip as boolean | undefined };
      tls = Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined && v !== '')) as RegistryTls;
      if (tls.certFile && !tls.keyFile) fail(`${where}.tls`, 'cert_file needs key_file');
    }
    configs.set(hostOf(key), { ...(auth ? { auth } : {}), ...(tls ? { tls } : {}) });
  }
  return { mirrors, configs };
}

function normalizeEndpoint(raw: string, where: string, fail: (where: string, what: string) => never): string {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return fail(where, `"${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(where, `"${raw}": only http and https endpoints are supported`);
  return withScheme.replace(/\/+$/, '');
}

/** "https://r.example:5000/v2" -> "r.example:5000"; a bare host stays as it is. */
export function hostOf(key: string): string {
  if (!/^[a-z]+:\/\//i.test(key)) return key.replace(/\/.*$/, '');
  try {
    return new URL(key).host;
  } catch {
    return key;
  }
}
