/**
 * exec, attach and port-forward between the caller and the runtime's streaming server.
 *
 * The CRI Exec/Attach/PortForward calls return a one-time URL on containerd's streaming server,
 * which (containerd 1.6, as observed) speaks SPDY/3.1 with remotecommand protocols up to
 * v4.channel.k8s.io and portforward.k8s.io, and WebSocket channel.k8s.io, base64.channel.k8s.io,
 * v4.channel.k8s.io and v4.base64.channel.k8s.io; v5.channel.k8s.io is refused (403). kubectl
 * 1.32 speaks v5 over WebSocket first, so:
 * - WebSocket v5 (or v4) exec/attach is translated: the kubelet opens a SPDY session to the
 *   runtime and maps channels to streams. SPDY on the runtime side, not WebSocket v4, because
 *   only SPDY can half-close stdin (v5's close channel), which `echo x | kubectl exec -i` needs.
 * - WebSocket "SPDY/3.1+portforward.k8s.io" carries SPDY frames in binary messages: unwrapped
 *   and piped as bytes to a SPDY upgrade on the runtime, never parsed.
 * - SPDY from the caller (kubectl's fallback) is piped as bytes both ways, upgrade included.
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { logger } from '../../log/index.js';
import { KubeletError } from './containers.js';
import { SpdyClientSession, type SpdyStream } from './spdy.js';

const log = logger('kubelet-api');

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export const PORT_FORWARD_WS_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => chooseProtocol(offered) ?? false });

function chooseProtocol(offered: Set<string>): string | undefined {
  for (const p of [...EXEC_PROTOCOLS, PORT_FORWARD_WS_PROTOCOL]) if (offered.has(p)) return p;
  return undefined;
}

/** The WebSocket subprotocol of this request that we serve, if any. */
export function webSocketProtocol(req: IncomingMessage): string | undefined {
  if ((req.headers['upgrade'] ?? '').toLowerCase() !== 'websocket') return undefined;
  const offered = new Set(String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  return chooseProtocol(offered);
}

interface Upstream {
  readonly socket: Socket;
  readonly status: number;
  /** The response head as received (status line and headers, up to the blank line). */
  readonly head: Buffer;
  /** Bytes after the head (already frames of the upgraded protocol). */
  readonly rest: Buffer;
}

/** POSTs an upgrade request to the runtime's streaming URL and reads its response head. */
function upgradeUpstream(url: string, headerLines: readonly string[]): Promise<Upstream> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port || 80) });
    let buffered = Buffer.alloc(0);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(new KubeletError(502, `the container runtime's streaming server at ${target.host}: ${err.message}`));
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > 64 * 1024) fail(new Error('response head too large'));
        return;
      }
      socket.off('data', onData);
      socket.off('error', fail);
      socket.pause();
      const head = buffered.subarray(0, end + 4);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'))?.[1] ?? '0');
      resolve({ socket, status, head, rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.write([`POST ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, 'Content-Length: 0', ...headerLines, '', ''].join('\r\n'));
    });
  });
}

/** Reads the body after a non-101 head (the runtime's error text), briefly. */
async function upstreamError(up: Upstream): Promise<KubeletError> {
  const chunks = [up.rest];
  up.socket.resume();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    up.socket.on('data', (c: Buffer) => chunks.push(c));
    up.socket.once('close', () => (clearTimeout(timer), resolve()));
  });
  up.socket.destroy();
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return new KubeletError(up.status >= 400 ? up.status : 502, text || `the container runtime's streaming server answered ${up.status}`);
}

function pipeBoth(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const end = (): void => {
    a.destroy();
    b.destroy();
  };
  a.once('close', end);
  b.once('close', end);
  a.on('error', end);
  b.on('error', end);
}

/** SPDY from the caller: forward its upgrade to the runtime and pipe bytes, 101 included. */
export async function spdyPassthrough(req: IncomingMessage, client: Duplex, head: Buffer, url: string): Promise<void> {
  const lines: string[] = ['Connection: Upgrade'];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (/^(upgrade|x-stream-protocol-version)$/i.test(name)) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  const up = await upgradeUpstream(url, lines);
  client.write(up.head);
  if (up.rest.length > 0) client.write(up.rest);
  if (head.length > 0) up.socket.write(head);
  up.socket.resume();
  pipeBoth(client, up.socket);
}

export interface ExecFlags {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/**
 * WebSocket (v5 or v4 channel.k8s.io) from the caller, SPDY v4.channel.k8s.io to the runtime:
 * channel 0 -> stdin, 255 -> stdin closed (v5), 4 -> resize; stdout, stderr and the error
 * stream's Status come back on channels 1, 2 and 3. The WebSocket closes when the runtime has
 * ended stdout, stderr and the error stream.
 */
export async function webSocketExec(req: IncomingMessage, client: Duplex, head: Buffer, url: string, flags: ExecFlags): Promise<void> {
  const up = await upgradeUpstream(url, ['Connection: Upgrade', 'Upgrade: SPDY/3.1', 'X-Stream-Protocol-Version: v4.channel.k8s.io']);
  if (up.status !== 101) throw await upstreamError(up);
  const session = new SpdyClientSession(up.socket, up.rest);
  up.socket.resume();
  let streams: { error: SpdyStream; stdin?: SpdyStream; stdout?: SpdyStream; stderr?: SpdyStream; resize?: SpdyStream };
  try {
    // The runtime waits for exactly the streams the request asked for, the error stream first.
    const error = await session.open({ streamtype: 'error' });
    streams = { error };
    if (flags.stdin) streams.stdin = await session.open({ streamtype: 'stdin' });
    if (flags.stdout) streams.stdout = await session.open({ streamtype: 'stdout' });
    if (flags.stderr && !flags.tty) streams.stderr = await session.open({ streamtype: 'stderr' });
    if (flags.tty) streams.resize = await session.open({ streamtype: 'resize' });
  } catch (err) {
    session.close();
    throw new KubeletError(502, `opening the runtime's streams: ${(err as Error).message}`);
  }
  wss.handleUpgrade(req, client, head, (ws: WebSocket) => {
    const send = (channel: number, data: Buffer): void => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
    };
    const pending = new Set<SpdyStream>([streams.error, ...(streams.stdout ? [streams.stdout] : []), ...(streams.stderr ? [streams.stderr] : [])]);
    const finished = (s: SpdyStream): void => {
      pending.delete(s);
      if (pending.size === 0) {
        ws.close(1000);
        session.close();
      }
    };
    const errorText: Buffer[] = [];
    streams.error.onData = (d) => void errorText.push(d);
    streams.error.onEnd = () => {
      if (errorText.length > 0) send(3, Buffer.concat(errorText));
      finished(streams.error);
    };
    if (streams.stdout) {
      const s = streams.stdout;
      s.onData = (d) => send(1, d);
      s.onEnd = () => finished(s);
    }
    if (streams.stderr) {
      const s = streams.stderr;
      s.onData = (d) => send(2, d);
      s.onEnd = () => finished(s);
    }
    session.onClose = () => ws.close(1000);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const bytes = isBinary ? data : Buffer.from(data);
      if (bytes.length === 0) return;
      const channel = bytes[0]!;
      const payload = bytes.subarray(1);
      if (channel === 0) streams.stdin?.write(payload);
      else if (channel === 4) streams.resize?.write(payload);
      else if (channel === 255 && payload[0] === 0) streams.stdin?.end();
    });
    ws.on('close', () => session.close());
    ws.on('error', (err) => log.debug({ err: err.message }, 'exec websocket error'));
  });
}

/** WebSocket carrying SPDY (kubectl port-forward): unwrap messages into a SPDY upgrade on the runtime. */
export async function webSocketPortForward(req: IncomingMessage, client: Duplex, head: Buffer, url: string): Promise<void> {
  const up = await upgradeUpstream(url, ['Connection: Upgrade', 'Upgrade: SPDY/3.1', 'X-Stream-Protocol-Version: portforward.k8s.io']);
  if (up.status !== 101) throw await upstreamError(up);
  wss.handleUpgrade(req, client, head, (ws: WebSocket) => {
    if (up.rest.length > 0) ws.send(up.rest);
    up.socket.on('data', (chunk: Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(chunk);
    });
    up.socket.resume();
    up.socket.on('close', () => ws.close(1000));
    up.socket.on('error', () => ws.close(1011));
    ws.on('message', (data: Buffer) => up.socket.write(data));
    ws.on('close', () => up.socket.destroy());
    ws.on('error', () => up.socket.destroy());
  });
}
