/**
 * `--datastore-endpoint` (K3S_DATASTORE_ENDPOINT) parsing, in the URI forms upstream k3s/kine
 * accept, into a typed description each driver opens. Pure: no files are read and no sockets
 * opened here; drivers load the TLS files named in `tls`.
 *
 *   (unset)                                   embedded SQLite at the default path
 *   sqlite://<path>[?params]                  SQLite at <path> (sqlite:///abs/path or sqlite://rel/path)
 *   postgres://user:pass@host:port/db?sslmode=disable     (also postgresql://; db defaults to "kubernetes")
 *   mysql://user:pass@tcp(host:port)/db       Go driver DSN form, as upstream (also unix(/path/to.sock))
 *   mysql://user:pass@host:port/db            URL form, accepted as a convenience
 *   http(s)://host:2379[,https://host2:2379]  external etcd v3 cluster
 *
 * Every error message shows the endpoint with its password replaced by "***": the endpoint is a
 * secret (it usually carries a database password) and error text ends up in logs and terminals.
 */
import { ConfigError } from '../config/errors.js';
import { Secret } from '../config/secret.js';

/** --datastore-cafile / --datastore-certfile / --datastore-keyfile. */
export interface TlsFiles {
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
}

/**
 * How a SQL driver secures its connection. `require` encrypts without verifying the server;
 * `verify-ca` checks the chain only; `verify-full` also checks the host name (libpq semantics).
 */
export type TlsMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface ClientTls {
  readonly mode: TlsMode;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface SqliteEndpoint {
  readonly driver: 'sqlite';
  /** Undefined: the default <data-dir>/server/db/state.db. */
  readonly path: string | undefined;
  readonly params: Readonly<Record<string, string>>;
}

export interface SqlServerEndpoint {
  readonly driver: 'postgres' | 'mysql';
  /** TCP host, or undefined when `socketPath` is used. */
  readonly host: string | undefined;
  readonly port: number;
  /** A unix socket path (MySQL `unix(...)`). */
  readonly socketPath: string | undefined;
  readonly user: string;
  readonly password: Secret | undefined;
  readonly database: string;
  readonly tls: ClientTls;
  /** Connect timeout in ms, when the endpoint set one. */
  readonly connectTimeoutMs: number | undefined;
  /** Driver-specific options that were given and are understood (e.g. application_name). */
  readonly params: Readonly<Record<string, string>>;
}

export interface PostgresEndpoint extends SqlServerEndpoint {
  readonly driver: 'postgres';
}

export interface MysqlEndpoint extends SqlServerEndpoint {
  readonly driver: 'mysql';
}

export interface EtcdMember {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
}

export interface EtcdEndpoint {
  readonly driver: 'etcd';
  readonly members: readonly EtcdMember[];
  /** Present for https members: the files given by the --datastore-* flags. */
  readonly tls: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string } | undefined;
}

export type DatastoreEndpoint = SqliteEndpoint | PostgresEndpoint | MysqlEndpoint | EtcdEndpoint;

export const POSTGRES_DEFAULT_PORT = 5432;
export const MYSQL_DEFAULT_PORT = 3306;
export const ETCD_DEFAULT_PORT = 2379;
/** Upstream's database name when the endpoint names none. */
export const DEFAULT_DATABASE = 'kubernetes';

const FORMS =
  'sqlite://<path>, postgres://user:pass@host:5432/db, mysql://user:pass@tcp(host:3306)/db, or http(s)://host:2379[,...] for etcd';

/** Parses an endpoint (undefined or empty = the embedded SQLite default). */
export function parseEndpoint(endpoint: Secret | string | undefined, tlsFiles: TlsFiles = {}): DatastoreEndpoint {
  const raw = (endpoint instanceof Secret ? endpoint.reveal() : endpoint ?? '').trim();
  if (raw === '') return { driver: 'sqlite', path: undefined, params: {} };
  const files = cleanFiles(tlsFiles);
  const fail = (why: string): never => {
    throw new ConfigError(`invalid --datastore-endpoint "${redactEndpoint(raw)}": ${why}`);
  };
  const sep = raw.indexOf('://');
  if (sep < 0) {
    // Upstream kine silently falls back to the default SQLite file for a string without a
    // scheme, which hides typos; we say what to write instead.
    return fail(`no scheme; write sqlite://${raw} for an SQLite file, or one of ${FORMS}`);
  }
  const scheme = raw.slice(0, sep).toLowerCase();
  const rest = raw.slice(sep + 3);
  switch (scheme) {
    case 'sqlite':
      return parseSqlite(rest, fail);
    case 'postgres':
    case 'postgresql':
      return parsePostgres(raw, files, fail);
    case 'mysql':
      return parseMysql(rest, files, fail);
    case 'http':
    case 'https':
      return parseEtcd(raw, files, fail);
    default:
      return fail(`unsupported scheme "${scheme}"; supported forms: ${FORMS}`);
  }
}

type Fail = (why: string) => never;

function cleanFiles(files: TlsFiles): TlsFiles {
  const pick = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v : undefined);
  return { caFile: pick(files.caFile), certFile: pick(files.certFile), keyFile: pick(files.keyFile) };
}

function parseSqlite(rest: string, fail: Fail): SqliteEndpoint {
  const q = rest.indexOf('?');
  const path = decodeOrFail(q < 0 ? rest : rest.slice(0, q), 'the path', fail);
  const params = q < 0 ? {} : Object.fromEntries(new URLSearchParams(rest.slice(q + 1)));
  return { driver: 'sqlite', path: path === '' ? undefined : path, params };
}

// ---- PostgreSQL ----------------------------------------------------------------------------

const PG_PARAMS = new Set(['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'connect_timeout', 'application_name', 'password', 'user', 'dbname', 'host', 'port']);
const PG_SSLMODES = new Set(['disable', 'require', 'verify-ca', 'verify-full']);

function parsePostgres(raw: string, files: TlsFiles, fail: Fail): PostgresEndpoint {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('not a valid URL (check the host and port 1-65535); expected postgres://user:pass@host:5432/db, with special characters in the password percent-encoded');
  }
  const params: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (!PG_PARAMS.has(name)) {
      fail(`unsupported parameter "${name}"; supported: ${[...PG_PARAMS].join(', ')}`);
    }
    params[name] = value;
  }
  // Upstream's default DSN is postgres://postgres:postgres@localhost/ for a bare "postgres://".
  const bare = url.hostname === '' && url.username === '' && (url.pathname === '' || url.pathname === '/');
  const host = stripBrackets(params.host ?? (url.hostname !== '' ? decodeOrFail(url.hostname, 'the host', fail) : 'localhost'));
  const port = parsePort(params.port ?? url.port, POSTGRES_DEFAULT_PORT, fail);
  const user = params.user ?? (url.username !== '' ? decodeOrFail(url.username, 'the user name', fail) : 'postgres');
  const passwordText = params.password ?? (url.password !== '' ? decodeOrFail(url.password, 'the password', fail) : bare ? 'postgres' : undefined);
  const pathDb = url.pathname.replace(/^\//, '');
  if (pathDb.includes('/')) fail(`database name "${pathDb}" contains "/"`);
  const database = params.dbname ?? (pathDb !== '' ? decodeOrFail(pathDb, 'the database name', fail) : DEFAULT_DATABASE);

  // TLS: explicit ssl* parameters win over the --datastore-* flags, and any TLS file given
  // without an sslmode means verify-full (as upstream).
  const caFile = params.sslrootcert ?? files.caFile;
  const certFile = params.sslcert ?? files.certFile;
  const keyFile = params.sslkey ?? files.keyFile;
  let mode: TlsMode;
  if (params.sslmode !== undefined) {
    if (!PG_SSLMODES.has(params.sslmode)) {
      const hint = params.sslmode === 'prefer' || params.sslmode === 'allow' ? ' (the driver cannot fall back between TLS and plain text; choose one)' : '';
      fail(`sslmode "${params.sslmode}" is not supported${hint}; use disable, require, verify-ca or verify-full`);
    }
    mode = params.sslmode as TlsMode;
  } else {
    mode = caFile !== undefined || certFile !== undefined || keyFile !== undefined ? 'verify-full' : 'disable';
  }
  if ((certFile === undefined) !== (keyFile === undefined)) fail('a client certificate needs both a certificate file and a key file');
  const connectTimeoutMs = params.connect_timeout !== undefined ? parseSeconds(params.connect_timeout, 'connect_timeout', fail) : undefined;
  const extra: Record<string, string> = {};
  if (params.application_name !== undefined) extra.application_name = params.application_name;
  return {
    driver: 'postgres',
    host,
    port,
    socketPath: undefined,
    user,
    password: passwordText !== undefined ? new Secret(passwordText) : undefined,
    database,
    tls: tlsOf(mode, caFile, certFile, keyFile),
    connectTimeoutMs,
    params: extra,
  };
}

// ---- MySQL / MariaDB -----------------------------------------------------------------------

const MYSQL_PARAMS = new Set(['tls', 'timeout', 'charset', 'parseTime', 'loc', 'collation']);

function parseMysql(rest: string, files: TlsFiles, fail: Fail): MysqlEndpoint {
  const anyFile = files.caFile !== undefined || files.certFile !== undefined || files.keyFile !== undefined;
  if (rest === '') {
    // Upstream's defaults: root over the local socket, or over TCP to 127.0.0.1 when TLS is configured.
    rest = anyFile ? 'root@tcp(127.0.0.1)/' : 'root@unix(/var/run/mysqld/mysqld.sock)/';
  }
  const slash = rest.lastIndexOf('/');
  if (slash < 0) return fail('missing "/" before the database name; expected mysql://user:pass@tcp(host:3306)/db');
  const left = rest.slice(0, slash);
  const right = rest.slice(slash + 1);
  const q = right.indexOf('?');
  const dbRaw = q < 0 ? right : right.slice(0, q);
  const query = q < 0 ? '' : right.slice(q + 1);

  const at = left.lastIndexOf('@');
  const userinfo = at < 0 ? '' : left.slice(0, at);
  const address = at < 0 ? left : left.slice(at + 1);
  let user: string;
  let password: string | undefined;
  let host: string | undefined;
  let port = MYSQL_DEFAULT_PORT;
  let socketPath: string | undefined;
  let urlForm = false;

  const paren = address.indexOf('(');
  if (paren >= 0) {
    // Go DSN: net(addr). The password is taken literally (not percent-decoded), as go-sql-driver does.
    if (!address.endsWith(')')) fail('unbalanced parentheses in the address; expected tcp(host:port) or unix(/path/to/socket)');
    const net = address.slice(0, paren);
    const addr = address.slice(paren + 1, -1);
    if (net === 'tcp') {
      const hp = splitHostPort(addr === '' ? '127.0.0.1' : addr, MYSQL_DEFAULT_PORT, fail);
      host = hp.host;
      port = hp.port;
    } else if (net === 'unix') {
      if (addr === '') fail('unix() needs a socket path');
      socketPath = addr;
    } else {
      fail(`unsupported network "${net}"; use tcp(host:port) or unix(/path/to/socket)`);
    }
  } else if (address === '' || address === 'tcp') {
    host = '127.0.0.1';
  } else if (address === 'unix') {
    socketPath = '/tmp/mysql.sock';
  } else {
    // URL form mysql://user:pass@host:port/db: percent-decoding applies as in any URL.
    urlForm = true;
    const hp = splitHostPort(address, MYSQL_DEFAULT_PORT, fail);
    host = hp.host;
    port = hp.port;
  }
  const colon = userinfo.indexOf(':');
  if (colon < 0) {
    user = userinfo;
  } else {
    user = userinfo.slice(0, colon);
    password = userinfo.slice(colon + 1);
  }
  if (urlForm) {
    user = decodeOrFail(user, 'the user name', fail);
    if (password !== undefined) password = decodeOrFail(password, 'the password', fail);
  }
  if (user === '') user = 'root';
  const database = dbRaw === '' ? DEFAULT_DATABASE : decodeOrFail(dbRaw, 'the database name', fail);

  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    if (!MYSQL_PARAMS.has(name)) fail(`unsupported parameter "${name}"; supported: ${[...MYSQL_PARAMS].join(', ')}`);
    params[name] = value;
  }
  let mode: TlsMode = anyFile ? 'verify-full' : 'disable';
  if (params.tls !== undefined) {
    switch (params.tls) {
      case 'true':
        mode = 'verify-full';
        break;
      case 'skip-verify':
        mode = 'require';
        break;
      case 'false':
        mode = 'disable';
        break;
      case 'custom':
        // kine registers the --datastore-* files under its own name; accept the flag files here.
        mode = 'verify-full';
        break;
      default:
        fail(`tls "${params.tls}" is not supported; use true, false or skip-verify (with --datastore-cafile/certfile/keyfile for files)`);
    }
  }
  if (params.charset !== undefined && !/^utf8(mb4)?(,utf8(mb4)?)*$/.test(params.charset)) {
    fail(`charset "${params.charset}" is not supported; values are stored as bytes, use utf8mb4`);
  }
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) fail('a client certificate needs both --datastore-certfile and --datastore-keyfile');
  const connectTimeoutMs = params.timeout !== undefined ? parseGoDuration(params.timeout, fail) : undefined;
  return {
    driver: 'mysql',
    host,
    port,
    socketPath,
    user,
    password: password !== undefined ? new Secret(password) : undefined,
    database,
    tls: tlsOf(mode, files.caFile, files.certFile, files.keyFile),
    connectTimeoutMs,
    params: {},
  };
}

// ---- etcd ----------------------------------------------------------------------------------

function parseEtcd(raw: string, files: TlsFiles, fail: Fail): EtcdEndpoint {
  const members: EtcdMember[] = [];
  for (const part of raw.split(',').map((s) => s.trim())) {
    if (part === '') fail('empty member in the comma-separated etcd endpoint list');
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      return fail(`"${redactEndpoint(part)}" is not a URL; expected http(s)://host:2379`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`etcd member "${redactEndpoint(part)}" must use http:// or https://`);
    if (url.username !== '' || url.password !== '') fail('credentials in an etcd URL are not supported; use client certificates (--datastore-certfile/keyfile)');
    if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '') fail(`etcd member "${redactEndpoint(part)}" must be scheme://host:port with no path or query`);
    if (url.hostname === '') fail(`etcd member "${part}" has no host`);
    members.push({ scheme: url.protocol === 'https:' ? 'https' : 'http', host: stripBrackets(url.hostname), port: parsePort(url.port, ETCD_DEFAULT_PORT, fail) });
  }
  const schemes = new Set(members.map((m) => m.scheme));
  if (schemes.size > 1) fail('etcd members mix http:// and https://; use one scheme for every member');
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) fail('a client certificate needs both --datastore-certfile and --datastore-keyfile');
  const secure = schemes.has('https');
  const anyFile = files.caFile !== undefined || files.certFile !== undefined || files.keyFile !== undefined;
  if (!secure && anyFile) fail('--datastore-cafile/certfile/keyfile are set but the etcd endpoint uses http://; use https://');
  const tls = secure
    ? {
        ...(files.caFile !== undefined ? { caFile: files.caFile } : {}),
        ...(files.certFile !== undefined ? { certFile: files.certFile } : {}),
        ...(files.keyFile !== undefined ? { keyFile: files.keyFile } : {}),
      }
    : undefined;
  return { driver: 'etcd', members, tls };
}

// ---- helpers -------------------------------------------------------------------------------

function tlsOf(mode: TlsMode, caFile: string | undefined, certFile: string | undefined, keyFile: string | undefined): ClientTls {
  if (mode === 'disable') return { mode };
  return {
    mode,
    ...(caFile !== undefined ? { caFile } : {}),
    ...(certFile !== undefined ? { certFile } : {}),
    ...(keyFile !== undefined ? { keyFile } : {}),
  };
}

function decodeOrFail(text: string, what: string, fail: Fail): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`${what} has an invalid percent-encoding`);
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function parsePort(text: string, fallback: number, fail: Fail): number {
  if (text === '') return fallback;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) fail(`port "${text}" is not a number between 1 and 65535`);
  return port;
}

function splitHostPort(addr: string, fallbackPort: number, fail: Fail): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(addr);
  if (v6) return { host: v6[1] ?? '', port: parsePort(v6[2] ?? '', fallbackPort, fail) };
  const colon = addr.lastIndexOf(':');
  if (colon >= 0 && addr.indexOf(':') !== colon) fail(`address "${addr}" is ambiguous; write IPv6 addresses as [addr]:port`);
  const host = colon < 0 ? addr : addr.slice(0, colon);
  if (host === '') fail(`address "${addr}" has no host`);
  return { host, port: parsePort(colon < 0 ? '' : addr.slice(colon + 1), fallbackPort, fail) };
}

function parseSeconds(text: string, name: string, fail: Fail): number {
  if (!/^\d+$/.test(text)) fail(`${name} "${text}" is not a whole number of seconds`);
  return Number(text) * 1000;
}

/** Go durations as go-sql-driver's `timeout` takes them: 500ms, 10s, 1m30s. */
function parseGoDuration(text: string, fail: Fail): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  if (rest === '') fail('timeout is empty');
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return fail(`timeout "${text}" is not a duration like 10s or 500ms`);
    total += Number(m[1]) * (unit[m[2] ?? 's'] ?? 1000);
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

/**
 * The endpoint with every password hidden, for messages and logs. Works on unparseable input:
 * everything between the user name and the last "@" is replaced, and password-like query
 * parameters lose their values. Over-redacting is fine; leaking is not.
 */
export function redactEndpoint(raw: string): string {
  return raw
    .split(',')
    .map((part) => redactOne(part))
    .join(',');
}

function redactOne(raw: string): string {
  const sep = raw.indexOf('://');
  const start = sep < 0 ? 0 : sep + 3;
  let out = raw;
  const at = raw.lastIndexOf('@');
  if (at >= start) {
    const colon = raw.indexOf(':', start);
    if (colon >= 0 && colon < at) out = raw.slice(0, colon + 1) + '***' + raw.slice(at);
  }
  return out.replace(/([?&](?:password|passwd|sslpassword)=)[^&]*/gi, '$1***');
}

/** A one-line description for logs: driver, user, address and database, never the password. */
export function describeEndpoint(endpoint: DatastoreEndpoint): string {
  switch (endpoint.driver) {
    case 'sqlite':
      return `sqlite ${endpoint.path ?? '(default path)'}`;
    case 'etcd':
      return `etcd ${endpoint.members.map(memberAddress).join(',')}`;
    case 'postgres':
    case 'mysql': {
      return `${endpoint.driver} ${endpoint.user}@${serverAddress(endpoint)}/${endpoint.database}`;
    }
  }
}

/** host:port (or the socket path) of a SQL server endpoint, as errors name it. */
export function serverAddress(endpoint: SqlServerEndpoint): string {
  if (endpoint.socketPath !== undefined) return `unix:${endpoint.socketPath}`;
  const host = endpoint.host ?? 'localhost';
  return `${host.includes(':') ? `[${host}]` : host}:${endpoint.port}`;
}

export function memberAddress(member: EtcdMember): string {
  return `${member.scheme}://${member.host.includes(':') ? `[${member.host}]` : member.host}:${member.port}`;
}
