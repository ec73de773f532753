/**
 * The DNS listeners: one UDP socket and one TCP server on the same address, both handing each
 * message to the resolver. TCP messages carry a two-octet length prefix (RFC 1035 4.2.2); a
 * connection may send several queries and is closed after idling (RFC 7766 suggests seconds).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log/index.js';
import type { Resolver, Outcome } from './resolver.js';

const TCP_IDLE_MS = 10_000;

export interface ListenAddress {
  readonly address: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
}

export interface BoundAddress {
  readonly address: string;
  readonly udpPort: number;
  readonly tcpPort: number;
}

export class DnsListener {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly connections = new Set<Socket>();
  /** Answers by outcome since start (a cheap metric the logs and tests can read). */
  readonly counts: Record<Outcome, number> = { cluster: 0, hosts: 0, forwarded: 0, error: 0 };

  constructor(
    private readonly resolver: Resolver,
    private readonly log: Logger,
  ) {}

  /** Binds UDP then TCP on the UDP port; rejects with the bind error (EADDRINUSE, EACCES). */
  async listen(where: ListenAddress): Promise<BoundAddress> {
    const udp = createSocket({ type: isIPv6(where.address) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(where.port, where.address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', (err) => this.log.warn({ err: err.message }, 'DNS UDP socket error'));
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, 'udp').then((response) => {
        if (response) udp.send(response, rinfo.port, rinfo.address);
      });
    });
    const port = udp.address().port;
    const tcp = createServer((socket) => this.serveTcp(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ port, host: where.address }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    this.udp = udp;
    this.tcp = tcp;
    return { address: where.address, udpPort: port, tcpPort: (tcp.address() as { port: number }).port };
  }

  private async handle(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    try {
      const result = await this.resolver.answer(msg, transport);
      if (!result) return undefined;
      this.counts[result.outcome]++;
      return result.response;
    } catch (err) {
      this.counts.error++;
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'answering a DNS query failed');
      return undefined;
    }
  }

  private serveTcp(socket: Socket): void {
    this.connections.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const msg = Buffer.from(pending.subarray(2, 2 + length));
        pending = pending.subarray(2 + length);
        void this.handle(msg, 'tcp').then((response) => {
          if (!response || socket.destroyed) return;
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(response.length);
          socket.write(Buffer.concat([prefix, response]));
        });
      }
    });
  }

  async close(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    for (const socket of this.connections) socket.destroy();
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }
}
