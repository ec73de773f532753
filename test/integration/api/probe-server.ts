/**
 * A tiny HTTPS server that answers kubectl just enough (/version, aggregated discovery, OpenAPI)
 * to make it send its real request bodies, and records every write it receives. Lets tests see
 * exactly what kubectl puts on the wire (protobuf envelopes, patch bodies) without a cluster.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { Catalogue, aggregatedDiscovery, AGGREGATED_DISCOVERY_V2 } from '../../../src/api/index.js';
import { OpenApi, OPENAPI_V2_PROTOBUF } from '../../../src/api/openapi/index.js';
import { decodeProtobufObject, encodeProtobufObject, type JsonObject } from '../../../src/api/protobuf/index.js';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly contentType: string;
  readonly body: Buffer;
  readonly accept: string;
}

/** Builds the reply to a protobuf write from its decoded body; undefined: a plain Status. */
export type Answer = (request: RecordedRequest, decoded: JsonObject) => JsonObject | undefined;

export interface ProbeServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** A kubeconfig pointing at the probe (token auth, TLS verification off). */
  readonly kubeconfig: string;
  close(): Promise<void>;
}

export interface ProbeOptions {
  readonly answer?: Answer;
  /** Answer /openapi/v3 with 404, as an old server would, so kubectl falls back to /openapi/v2. */
  readonly withoutV3?: boolean;
}

export async function startProbeServer(dir: string, port: number, options: ProbeOptions = {}): Promise<ProbeServer> {
  const { answer } = options;
  const key = join(dir, 'probe.key');
  const cert = join(dir, 'probe.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {
    stdio: 'ignore',
  });
  const catalogue = new Catalogue();
  const openapi = new OpenApi(catalogue);
  const requests: RecordedRequest[] = [];
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://probe');
      const send = (code: number, body: unknown, type = 'application/json'): void => {
        res.writeHead(code, { 'Content-Type': type });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (req.method !== 'GET') {
        const recorded = { method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks), accept: req.headers.accept ?? '' };
        requests.push(recorded);
        const reply = answer && recorded.contentType.includes('protobuf') ? answer(recorded, decodeProtobufObject(recorded.body)) : undefined;
        if (reply && recorded.accept.includes('application/vnd.kubernetes.protobuf')) {
          res.writeHead(201, { 'Content-Type': 'application/vnd.kubernetes.protobuf' });
          res.end(encodeProtobufObject(reply));
        } else if (reply) send(201, reply);
        // Otherwise answer like a dry-run create would: a Status kubectl prints without failing.
        else send(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
        return;
      }
      if (url.pathname === '/version') {
        send(200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
      } else if (url.pathname === '/api' || url.pathname === '/apis') {
        send(200, aggregatedDiscovery(catalogue, url.pathname === '/api'), AGGREGATED_DISCOVERY_V2);
      } else if (url.pathname === '/openapi/v2') {
        if ((req.headers.accept ?? '').includes('proto-openapi')) {
          res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF });
          res.end(openapi.v2Protobuf());
        } else send(200, openapi.v2().json);
      } else if (url.pathname.startsWith('/openapi/v3') && options.withoutV3) {
        send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' });
      } else if (url.pathname === '/openapi/v3') {
        send(200, openapi.v3Index().json);
      } else if (url.pathname.startsWith('/openapi/v3/')) {
        const doc = openapi.v3DocumentByPath(url.pathname.slice('/openapi/v3/'.length));
        if (doc) send(200, doc.json);
        else send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' });
      } else {
        send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not found', reason: 'NotFound', code: 404 });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- cluster: {server: "${url}", insecure-skip-tls-verify: true}`,
      '  name: probe',
      'users:',
      '- name: probe',
      '  user: {token: probe-token}',
      'contexts:',
      '- context: {cluster: probe, user: probe, namespace: default}',
      '  name: probe',
      'current-context: probe',
      '',
    ].join('\n'),
  );
  return {
    url,
    requests,
    kubeconfig,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
