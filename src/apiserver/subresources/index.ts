/**
 * Subresources other than status: scale, pods/binding, pods/eviction, serviceaccounts/token,
 * and the review resources. The kubelet's streaming subresources (log, exec, attach,
 * portforward) are proxied to the node before this point (apiserver/proxy); reaching here
 * means no kubelet client is configured, and they are refused with a clear Status.
 */
import type { Catalogue } from '../../api/catalogue.js';
import type { KubeObject, ResourceInfo } from '../../api/types.js';
import type { PatchType } from '../../client/types.js';
import { methodNotAllowed, pathNotFound, StatusError } from '../errors.js';
import type { Registry } from '../registry/store.js';
import type { CreateOutcome, RestContext } from '../rest.js';
import { writeContext } from '../rest.js';
import type { Authenticate, Authorize, Extensions } from '../types.js';
import { bindPod, evictPod } from './pods.js';
import { review } from './reviews.js';
import { getScale, writeScale } from './scale.js';
import { requestToken } from './token.js';

export interface SubresourceDeps {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly extensions: Extensions;
  readonly authorize: Authorize;
  readonly authenticate?: Authenticate;
}

export interface SubresourceHandlers {
  get(info: ResourceInfo, namespace: string, name: string, subresource: string, ctx: RestContext): Promise<KubeObject>;
  create(info: ResourceInfo, namespace: string, name: string, subresource: string, body: unknown, ctx: RestContext): Promise<CreateOutcome>;
  update(info: ResourceInfo, namespace: string, name: string, subresource: string, body: unknown, ctx: RestContext): Promise<CreateOutcome>;
  patch(info: ResourceInfo, namespace: string, name: string, subresource: string, type: PatchType, patch: unknown, ctx: RestContext): Promise<CreateOutcome>;
  review(info: ResourceInfo, namespace: string, body: unknown, ctx: RestContext): Promise<CreateOutcome>;
}

function declared(info: ResourceInfo, subresource: string): void {
  if (!info.subresources.some((s) => s.name === subresource)) throw pathNotFound();
}

function notServedHere(info: ResourceInfo, subresource: string): StatusError {
  return new StatusError(
    405,
    'MethodNotAllowed',
    `${info.resource}/${subresource} is served by the node's kubelet, which this server does not run (started with --disable-agent)`,
  );
}

export function subresourceHandler(deps: SubresourceDeps): SubresourceHandlers {
  const { registry } = deps;
  return {
    async get(info, namespace, name, subresource) {
      declared(info, subresource);
      if (subresource === 'scale') return getScale(registry, info, namespace, name);
      if (subresource === 'ephemeralcontainers') return registry.get(info, namespace, name);
      throw notServedHere(info, subresource);
    },
    async create(info, namespace, name, subresource, body, ctx) {
      if (name === '' || subresource === '') throw methodNotAllowed();
      declared(info, subresource);
      const write = writeContext(ctx);
      if (info.kind === 'Pod' && subresource === 'binding') return { object: await bindPod(registry, info, namespace, name, body, write), code: 201 };
      if (info.kind === 'Pod' && subresource === 'eviction') {
        const pdb = deps.catalogue.lookup('policy', 'v1', 'poddisruptionbudgets');
        return { object: await evictPod(registry, info, pdb, namespace, name, body, write), code: 201 };
      }
      if (info.kind === 'ServiceAccount' && subresource === 'token') {
        return { object: await requestToken(registry, deps.catalogue, deps.extensions, info, namespace, name, body, write.dryRun), code: 201 };
      }
      throw notServedHere(info, subresource);
    },
    async update(info, namespace, name, subresource, body, ctx) {
      declared(info, subresource);
      if (subresource === 'scale') return { object: await writeScale(registry, info, namespace, name, writeContext(ctx), { body }), code: 200 };
      if (subresource === 'ephemeralcontainers') {
        const result = await registry.update(info, namespace, name, body, writeContext(ctx));
        return { object: result.object, code: 200 };
      }
      throw methodNotAllowed();
    },
    async patch(info, namespace, name, subresource, type, patch, ctx) {
      declared(info, subresource);
      if (subresource === 'scale') return { object: await writeScale(registry, info, namespace, name, writeContext(ctx), { type, patch }), code: 200 };
      throw methodNotAllowed();
    },
    async review(info, namespace, body, ctx) {
      const object = await review(deps, info, namespace, body, ctx.user);
      return { object, code: 201 };
    },
  };
}
