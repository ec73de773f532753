/**
 * The cluster join token, in upstream's form:
 *
 *   K10<sha256 hex of the server CA file>::server:<secret>
 *
 * written to <data-dir>/server/token (0600) with node-token a symlink to it, as upstream k3s
 * does. --token / K3S_TOKEN / --token-file may give a bare secret or a full K10 token (whose CA
 * hash must then match this server's CA); without one, the secret already on disk is reused, and
 * only on first start is a random one generated.
 */
import { createHash, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { lstat, symlink, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Config } from '../config/types.js';
import { serverPaths } from '../config/paths.js';
import { Secret } from '../config/secret.js';
import { splitCertificates } from './certs.js';
import { readOptional, writeFileAtomic } from './files.js';

const PREFIX = 'K10';
const HASH_LENGTH = 64;
const BOOTSTRAP_TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

export interface ParsedToken {
  /** Empty when the token carried no CA hash (a bare secret). */
  readonly caHash: string;
  /** "server" / "node" for K10 tokens; empty for a bare secret. */
  readonly username: string;
  readonly password: string;
  /** Set instead of username/password for kubeadm-style bootstrap tokens (abcdef.0123456789abcdef). */
  readonly bootstrapToken?: { readonly id: string; readonly secret: string };
}

export class TokenFormatError extends Error {}

/** Parses a token as upstream's clientaccess does: K10 full tokens, bootstrap tokens, bare secrets. */
export function parseToken(token: string): ParsedToken {
  let text = token.trim();
  if (!text) throw new TokenFormatError('token must not be empty');
  if (!text.startsWith(PREFIX)) text = BOOTSTRAP_TOKEN.test(text) ? `${PREFIX}::${text}` : `${PREFIX}:::${text}`;
  text = text.slice(PREFIX.length);
  const sep = text.indexOf('::');
  let caHash = '';
  if (sep >= 0) {
    caHash = text.slice(0, sep);
    text = text.slice(sep + 2);
    if (caHash.length > 0 && caHash.length !== HASH_LENGTH) throw new TokenFormatError('invalid token CA hash length');
    if (caHash.length > 0 && !/^[0-9a-f]+$/.test(caHash)) throw new TokenFormatError('invalid token CA hash: not lowercase hex');
  }
  const bootstrap = BOOTSTRAP_TOKEN.exec(text);
  if (bootstrap) return { caHash, username: '', password: '', bootstrapToken: { id: bootstrap[1]!, secret: bootstrap[2]! } };
  const colon = text.indexOf(':');
  if (colon < 0 || colon === text.length - 1) {
    throw new TokenFormatError('invalid token format: want K10<CA-HASH>::<USERNAME>:<PASSWORD> or <PASSWORD>');
  }
  return { caHash, username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * The hash a K10 token pins: SHA-256 over the CA file's bytes when it holds one certificate
 * (upstream's legacy and usual case), over the DER of the last certificate (the root) when it is
 * a bundle.
 */
export function hashCa(caPem: string | Buffer): string {
  const text = Buffer.isBuffer(caPem) ? caPem.toString('utf8') : caPem;
  const certs = splitCertificates(text);
  const bytes = certs.length > 1 ? new X509Certificate(certs[certs.length - 1]!).raw : Buffer.from(caPem);
  return createHash('sha256').update(bytes).digest('hex');
}

export function formatToken(caPem: string | Buffer, username: string, password: string): string {
  return `${PREFIX}${hashCa(caPem)}::${username}:${password}`;
}

/** Throws when a token pins a CA hash that is not `caPem`'s. */
export function checkTokenCa(parsed: ParsedToken, caPem: string | Buffer): void {
  if (!parsed.caHash) return;
  const actual = hashCa(caPem);
  if (parsed.caHash !== actual) {
    throw new TokenFormatError(`token CA hash does not match the cluster CA certificate hash: ${parsed.caHash} != ${actual}`);
  }
}

export interface ServerTokens {
  /** The full K10 token (what `k3s token` and the token files show). */
  readonly token: Secret;
  /** The secret part: what agents and servers prove knowledge of. */
  readonly password: Secret;
  readonly tokenFile: string;
  readonly nodeTokenFile: string;
}

/** Creates or reuses the server token and writes the token/node-token files. */
export async function ensureTokens(config: Pick<Config, 'dataDir' | 'token'>, serverCaPem: string): Promise<ServerTokens> {
  const paths = serverPaths(config);
  const existingText = (await readOptional(paths.tokenFile))?.trim();
  const existing = existingText ? parseToken(existingText) : undefined;

  let password: string;
  if (config.token) {
    let given: ParsedToken;
    try {
      given = parseToken(config.token.reveal());
    } catch (err) {
      throw new TokenFormatError(`--token: ${(err as Error).message}`, { cause: err });
    }
    if (given.bootstrapToken) throw new TokenFormatError('--token: a bootstrap token (abcdef.0123456789abcdef) cannot be the server token; give a secret or a K10 token');
    try {
      checkTokenCa(given, serverCaPem);
    } catch (err) {
      throw new TokenFormatError(`--token: ${(err as Error).message}; this token belongs to another cluster`, { cause: err });
    }
    password = given.password;
    if (existing && existing.password !== password) {
      throw new TokenFormatError(
        `--token differs from the token this server was created with (${paths.tokenFile}); start with the original token, or omit --token to keep using the stored one`,
      );
    }
  } else if (existing) {
    if (existing.bootstrapToken || !existing.password) throw new TokenFormatError(`${paths.tokenFile} does not hold a server token; remove it to generate a new one`);
    password = existing.password;
  } else {
    // util.Random(16) upstream: 16 random bytes, hex.
    password = randomBytes(16).toString('hex');
  }

  const token = formatToken(serverCaPem, 'server', password);
  if (existingText !== token) await writeFileAtomic(paths.tokenFile, token + '\n', 0o600);
  await ensureSymlink(paths.nodeTokenFile, basename(paths.tokenFile));
  return { token: new Secret(token), password: new Secret(password), tokenFile: paths.tokenFile, nodeTokenFile: paths.nodeTokenFile };
}

async function ensureSymlink(path: string, target: string): Promise<void> {
  try {
    const stat = await lstat(path);
    if (stat.isSymbolicLink()) return;
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await symlink(target, path);
}

/**
 * Checks supervisor basic-auth credentials ("server"/"node" and the token secret), as upstream's
 * supervisor does for its /v1-k3s endpoints. Constant-time comparison.
 */
export function verifyServerTokenBasicAuth(authorization: string | undefined, password: Secret): { username: 'server' | 'node' } | undefined {
  if (!authorization) return undefined;
  const m = /^basic\s+(\S+)$/i.exec(authorization.trim());
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const username = decoded.slice(0, colon);
  if (username !== 'server' && username !== 'node') return undefined;
  const given = Buffer.from(decoded.slice(colon + 1));
  const want = Buffer.from(password.reveal());
  return given.length === want.length && timingSafeEqual(given, want) ? { username } : undefined;
}

export interface JoinCredentials {
  /** Basic-auth user for the supervisor: the token's user, or "node" for a bare secret (agents). */
  readonly username: string;
  readonly password: Secret;
  readonly bootstrapToken?: Secret;
  /** False when the token carried no CA hash, so the downloaded CA could not be checked. */
  readonly caVerified: boolean;
  /** A warning to log when the CA could not be verified, worded as upstream's. */
  readonly warning?: string;
}

/**
 * Agent/joining-server side: checks the CA bundle the server's /cacerts returned against the
 * token's pinned hash (throws on mismatch), and returns the credentials to present.
 */
export function joinCredentials(token: string, cacertsPem: string | Buffer, defaultUser: 'node' | 'server' = 'node'): JoinCredentials {
  const parsed = parseToken(token);
  checkTokenCa(parsed, cacertsPem);
  const caVerified = parsed.caHash.length > 0;
  const base = {
    username: parsed.username || defaultUser,
    password: new Secret(parsed.password),
    caVerified,
    ...(parsed.bootstrapToken ? { bootstrapToken: new Secret(`${parsed.bootstrapToken.id}.${parsed.bootstrapToken.secret}`) } : {}),
  };
  if (caVerified) return base;
  return {
    ...base,
    warning:
      'Cluster CA certificate is not trusted by the host CA bundle, but the token does not include a CA hash. Use the full token from the server\'s node-token file to enable Cluster CA validation.',
  };
}
