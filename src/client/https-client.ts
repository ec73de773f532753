/**
 * The ApiClient over HTTPS, for components on another machine (agents) and for tools: JSON
 * requests on one keep-alive agent, watches as newline-delimited JSON streams, errors as ApiError
 * carrying the server's metav1.Status.
 */
import { readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../api/types.js';
import {
  ApiError,
  resourcePath,
  type ApiClient,
  type DeleteOptions,
  type KubeList,
  type ListOptions,
  type PatchOptions,
  type PatchType,
  type ResourceRef,
  type Status,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from './types.js';

export interface HttpsClientOptions {
  /** e.g. https://127.0.0.1:6443 */
  readonly server: string;
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly token?: string;
  readonly insecureSkipTlsVerify?: boolean;
  readonly userAgent?: string;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export class HttpsClient implements ApiClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(private readonly options: HttpsClientOptions) {
    this.base = new URL(options.server);
    this.agent = new Agent({
      keepAlive: true,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.cert ? { cert: options.cert } : {}),
      ...(options.key ? { key: options.key } : {}),
      rejectUnauthorized: !options.insecureSkipTlsVerify,
    });
  }

  close(): void {
    this.agent.destroy();
  }

  get<T extends KubeObject>(ref: ResourceRef, name: string, subresource?: string): Promise<T> {
    return this.json<T>('GET', resourcePath(ref, name, subresource));
  }

  list<T extends KubeObject>(ref: ResourceRef, options: ListOptions = {}): Promise<KubeList<T>> {
    return this.json<KubeList<T>>('GET', resourcePath(ref) + query({ ...options }));
  }

  create<T extends KubeObject>(ref: ResourceRef, object: T, options: WriteOptions & { subresource?: string; name?: string } = {}): Promise<T> {
    return this.json<T>('POST', resourcePath(ref, options.name, options.subresource) + query(writeParams(options)), object);
  }

  update<T extends KubeObject>(ref: ResourceRef, object: T, options: WriteOptions & { subresource?: string } = {}): Promise<T> {
    const name = object.metadata?.name;
    if (!name) throw new Error('update: object has no metadata.name');
    return this.json<T>('PUT', resourcePath(ref, name, options.subresource) + query(writeParams(options)), object);
  }

  patch<T extends KubeObject>(ref: ResourceRef, name: string, type: PatchType, patch: unknown, options: PatchOptions = {}): Promise<T> {
    const params = { ...writeParams(options), ...(options.force !== undefined ? { force: options.force } : {}) };
    return this.json<T>('PATCH', resourcePath(ref, name, options.subresource) + query(params), patch, PATCH_CONTENT_TYPES[type]);
  }

  delete(ref: ResourceRef, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
      ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
      ...(options.preconditions ? { preconditions: options.preconditions } : {}),
      ...(options.dryRun ? { dryRun: ['All'] } : {}),
    };
    return this.json<KubeObject>('DELETE', resourcePath(ref, name), body);
  }

  async watch<T extends KubeObject>(ref: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const res = await this.send('GET', resourcePath(ref) + query({ ...options, watch: true }), undefined, undefined, signal);
    if ((res.statusCode ?? 500) >= 300) throw await errorFrom(res);
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === 'ERROR') {
            res.destroy();
            reject(new ApiError(event.object as unknown as Status));
            return;
          }
          onEvent(event);
        }
      });
      const abort = (): void => void res.destroy();
      signal.addEventListener('abort', abort, { once: true });
      const done = (): void => signal.removeEventListener('abort', abort);
      res.on('end', () => (done(), resolve()));
      res.on('error', (err) => (done(), signal.aborted ? resolve() : reject(err)));
      res.on('aborted', () => (done(), resolve()));
    });
  }

  private async json<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const res = await this.send(method, path, body, contentType);
    if ((res.statusCode ?? 500) >= 300) throw await errorFrom(res);
    return JSON.parse(await readAll(res)) as T;
  }

  private send(method: string, path: string, body: unknown, contentType: string | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.options.userAgent ?? 'k3s-ts',
      ...(this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {}),
      ...(payload ? { 'Content-Type': contentType ?? 'application/json', 'Content-Length': String(payload.length) } : {}),
    };
    const requestOptions: RequestOptions = {
      method,
      host: this.base.hostname.replace(/^\[|\]$/g, ''),
      port: this.base.port || 443,
      path,
      headers,
      agent: this.agent,
      ...(signal ? { signal } : {}),
    };
    const attempt = (retry: boolean): Promise<IncomingMessage> =>
      new Promise((resolve, reject) => {
        const req = request(requestOptions, resolve);
        req.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive connection the server closed just as we reused it: send again, once.
          if (retry && req.reusedSocket && err.code === 'ECONNRESET') resolve(attempt(false));
          else reject(err);
        });
        req.end(payload);
      });
    return attempt(true);
  }
}

/** A client from a kubeconfig file's current context (as kubectl reads it). */
export function httpsClientFromKubeconfig(path: string, userAgent?: string): HttpsClient {
  const doc = parseYaml(readFileSync(path, 'utf8')) as Kubeconfig;
  const context = doc.contexts?.find((c) => c.name === doc['current-context'])?.context ?? doc.contexts?.[0]?.context;
  const cluster = doc.clusters?.find((c) => c.name === context?.cluster)?.cluster ?? doc.clusters?.[0]?.cluster;
  const user = doc.users?.find((u) => u.name === context?.user)?.user ?? doc.users?.[0]?.user;
  if (!cluster?.server) throw new Error(`kubeconfig ${path} names no cluster server`);
  const data = (inline: string | undefined, file: string | undefined): Buffer | undefined =>
    inline ? Buffer.from(inline, 'base64') : file ? readFileSync(file) : undefined;
  const ca = data(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = data(user?.['client-certificate-data'], user?.['client-certificate']);
  const key = data(user?.['client-key-data'], user?.['client-key']);
  const token = user?.token ?? (user?.tokenFile ? readFileSync(user.tokenFile, 'utf8').trim() : undefined);
  return new HttpsClient({
    server: cluster.server,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(token ? { token } : {}),
    ...(cluster['insecure-skip-tls-verify'] ? { insecureSkipTlsVerify: true } : {}),
    ...(userAgent ? { userAgent } : {}),
  });
}

interface Kubeconfig {
  'current-context'?: string;
  clusters?: { name: string; cluster: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string; 'insecure-skip-tls-verify'?: boolean } }[];
  contexts?: { name: string; context: { cluster?: string; user?: string } }[];
  users?: { name: string; user: { 'client-certificate-data'?: string; 'client-certificate'?: string; 'client-key-data'?: string; 'client-key'?: string; token?: string; tokenFile?: string } }[];
}

function writeParams(options: WriteOptions): Record<string, unknown> {
  return {
    ...(options.dryRun ? { dryRun: 'All' } : {}),
    ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}),
  };
}

function query(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function errorFrom(res: IncomingMessage): Promise<ApiError> {
  const text = await readAll(res);
  const code = res.statusCode ?? 500;
  try {
    const parsed = JSON.parse(text) as Partial<Status>;
    if (parsed.kind === 'Status') return new ApiError({ ...(parsed as Status), code: parsed.code ?? code });
  } catch {
    // not a Status: fall through
  }
  return new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, message: text.slice(0, 500) || `HTTP ${code}` });
}
