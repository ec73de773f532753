/**
 * Writing responses: objects as JSON or YAML, lists as one JSON string assembled from the cache's
 * per-object JSON (no re-serialisation of 10k objects), and errors as metav1.Status.
 */
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { stringify } from 'yaml';
import type { ApiError } from '../../client/types.js';
import type { OutputFormat } from './negotiate.js';

export type Response = ServerResponse | Http2ServerResponse;

export function writeRaw(res: Response, code: number, contentType: string, body: string | Buffer, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': String(payload.length), 'Cache-Control': 'no-cache, private', ...headers });
  res.end(payload);
}

export function writeJson(res: Response, code: number, value: unknown, headers: Record<string, string | string[]> = {}): void {
  writeRaw(res, code, 'application/json', JSON.stringify(value), headers);
}

/** A JSON text in the negotiated format (YAML is produced from the parsed value). */
export function writeJsonText(res: Response, code: number, json: string, format: OutputFormat, headers: Record<string, string | string[]> = {}): void {
  if (format.kind === 'yaml') {
    writeRaw(res, code, 'application/yaml', stringify(JSON.parse(json), { aliasDuplicateObjects: false }), headers);
    return;
  }
  if (format.kind === 'json' && format.pretty) {
    writeRaw(res, code, 'application/json', JSON.stringify(JSON.parse(json), null, 2) + '\n', headers);
    return;
  }
  const type = format.kind === 'table' ? `application/json;as=Table;v=${format.version};g=meta.k8s.io` : format.kind === 'partial' ? `application/json;as=${format.list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata'};v=${format.version};g=meta.k8s.io` : 'application/json';
  writeRaw(res, code, type, json, headers);
}

export function writeValue(res: Response, code: number, value: unknown, format: OutputFormat, headers: Record<string, string | string[]> = {}): void {
  writeJsonText(res, code, JSON.stringify(value), format, headers);
}

export function writeError(res: Response, err: ApiError, headers: Record<string, string | string[]> = {}): void {
  const extra: Record<string, string | string[]> = { ...headers };
  const retry = err.status.details?.retryAfterSeconds;
  if (retry !== undefined && (err.code === 429 || err.code === 504 || err.code === 503)) extra['Retry-After'] = String(retry);
  writeJson(res, err.code, err.status, extra);
}
