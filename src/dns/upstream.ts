/**
 * The host's resolvers, where every name outside the cluster zone and the custom entries goes:
 * the nameservers of a resolv.conf file, chosen as upstream k3s chooses the kubelet's (the
 * --resolv-conf file, else /etc/resolv.conf unless it only names loopback servers such as
 * systemd-resolved's stub, else systemd-resolved's own upstream list). Queries are relayed
 * byte for byte (only the ID changes), over UDP or TCP as the client asked, trying each server in
 * turn.
 */
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { isIP, isIPv4, Socket } from 'node:net';
import { randomInt } from 'node:crypto';

export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  const searches: string[] = [];
  const options: string[] = [];
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.replace(/[#;].*/, '').trim().split(/\s+/);
    if (key === 'nameserver' && rest[0] && isIP(rest[0].replace(/%.*$/, '')) !== 0) nameservers.push(rest[0].replace(/%.*$/, ''));
    else if (key === 'search' || key === 'domain') searches.splice(0, searches.length, ...rest);
    else if (key === 'options') options.push(...rest);
  }
  return { nameservers, searches, options };
}

function isLoopback(ip: string): boolean {
  return isIPv4(ip) ? ip.startsWith('127.') : ip === '::1';
}

function readResolv(path: string): ResolvConf | undefined {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

export const SYSTEMD_RESOLV_CONF = '/run/systemd/resolve/resolv.conf';

/**
 * The resolv.conf for pods with dnsPolicy Default and for forwarding: `configured` when given
 * (--resolv-conf / K3S_RESOLV_CONF), otherwise as upstream k3s picks it. Undefined when no
 * file names a usable server (the caller then forwards nowhere and says so).
 */
export function pickResolvConf(configured: string | undefined, candidates: readonly string[] = ['/etc/resolv.conf', SYSTEMD_RESOLV_CONF]): string | undefined {
  if (configured) return configured;
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const conf = readResolv(path);
    if (conf && conf.nameservers.length > 0 && !conf.nameservers.some(isLoopback)) return path;
  }
  return undefined;
}

export interface ForwarderOptions {
  /** Addresses never forwarded to (our own listen address: asking ourselves would loop). */
  readonly exclude?: readonly string[];
  /** Per-server wait before trying the next one. */
  readonly timeoutMs?: number;
}

export class Forwarder {
  private servers: { host: string; port: number }[] = [];
  private explicit = false;
  private readonly exclude: Set<string>;
  private readonly timeoutMs: number;

  constructor(
    private readonly resolvConf: string | undefined,
    options: ForwarderOptions = {},
  ) {
    this.exclude = new Set(options.exclude ?? []);
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.reload();
  }

  /** Re-reads the file (the host's resolvers change with DHCP or VPNs). */
  reload(): void {
    if (this.explicit) return;
    const conf = this.resolvConf ? readResolv(this.resolvConf) : undefined;
    this.servers = (conf?.nameservers ?? []).filter((ip) => !this.exclude.has(ip)).map((host) => ({ host, port: 53 }));
  }

  /** For tests and custom setups: explicit servers, used from now on instead of the file's. */
  setServers(servers: readonly { host: string; port: number }[]): void {
    this.explicit = true;
    this.servers = [...servers];
  }

  get upstreams(): readonly string[] {
    return this.servers.map((s) => `${s.host}:${s.port}`);
  }

  /** The upstream's answer to `request` (a whole DNS message), or undefined when none answered. */
  async forward(request: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (request.length < 12) return undefined;
    const originalId = request.readUInt16BE(0);
    for (const server of this.servers) {
      // A fresh ID and source port per query: an off-path spoofer has to guess both.
      const id = randomInt(0x10000);
      const outgoing = Buffer.from(request);
      outgoing.writeUInt16BE(id, 0);
      try {
        const answer = transport === 'udp' ? await this.udp(server, outgoing, id) : await this.tcp(server, outgoing, id);
        if (!answer) continue;
        answer.writeUInt16BE(originalId, 0);
        return answer;
      } catch {
        // Unreachable or refused: the next server.
      }
    }
    return undefined;
  }

  private udp(server: { host: string; port: number }, message: Buffer, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(isIPv4(server.host) ? 'udp4' : 'udp6');
      const finish = (value: Buffer | undefined, err?: unknown): void => {
        clearTimeout(timer);
        socket.close();
        if (err) reject(err);
        else resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      socket.on('error', (err) => finish(undefined, err));
      socket.on('message', (msg, rinfo) => {
        // Answers from elsewhere or for another ID are not ours: keep waiting.
        if (rinfo.address !== server.host || msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        finish(msg);
      });
      socket.send(message, server.port, server.host, (err) => {
        if (err) finish(undefined, err);
      });
    });
  }

  private tcp(server: { host: string; port: number }, message: Buffer, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      let received = Buffer.alloc(0);
      const finish = (value: Buffer | undefined, err?: unknown): void => {
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), this.timeoutMs * 2);
      socket.on('error', (err) => finish(undefined, err));
      socket.on('data', (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 2) return;
        const length = received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        const answer = Buffer.from(received.subarray(2, 2 + length));
        finish(answer.length >= 12 && answer.readUInt16BE(0) === id ? answer : undefined);
      });
      socket.on('close', () => finish(undefined));
      socket.connect(server.port, server.host, () => {
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(message.length);
        socket.write(Buffer.concat([prefix, message]));
      });
    });
  }
}
