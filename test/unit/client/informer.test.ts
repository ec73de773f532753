import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { Informer } from '../../../src/client/informer.js';
import { ApiError, type ApiClient, type KubeList, type WatchEvent } from '../../../src/client/types.js';

function pod(name: string, rv: number, node = 'n1'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', resourceVersion: String(rv) }, spec: { nodeName: node } };
}

/** A scripted API: each list returns the next snapshot; each watch replays the next script. */
class FakeApi {
  lists: KubeList[] = [];
  watches: ((emit: (e: WatchEvent) => void) => Promise<void>)[] = [];
  watchRvs: string[] = [];
  client(): ApiClient {
    return {
      list: async () => this.lists.shift() as KubeList,
      watch: async (_ref: unknown, options: { resourceVersion?: string }, onEvent: (e: WatchEvent) => void, signal: AbortSignal) => {
        this.watchRvs.push(options.resourceVersion ?? '');
        const next = this.watches.shift();
        if (next) return next(onEvent);
        // Stays open until the informer stops, like a quiet watch.
        return new Promise<void>((resolve) => {
          const timer = setInterval(() => {}, 1000);
          signal.addEventListener('abort', () => (clearInterval(timer), resolve()), { once: true });
        });
      },
    } as unknown as ApiClient;
  }
}

test('lists, then follows watch events into the cache and the handlers', async () => {
  const api = new FakeApi();
  api.lists.push({ metadata: { resourceVersion: '10' }, items: [pod('a', 5)] });
  api.watches.push(async (emit) => {
    emit({ type: 'ADDED', object: pod('b', 11) });
    emit({ type: 'MODIFIED', object: pod('a', 12, 'n2') });
    emit({ type: 'DELETED', object: pod('b', 13) });
    emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '14' } } });
  });
  const informer = new Informer(api.client(), { group: '', version: 'v1', resource: 'pods' });
  informer.addIndex('node', (p) => [String((p.spec as { nodeName: string }).nodeName)]);
  const log: string[] = [];
  informer.addHandlers({
    onAdd: (o) => log.push(`add ${o.metadata?.name}`),
    onUpdate: (o) => log.push(`update ${o.metadata?.name}`),
    onDelete: (o) => log.push(`delete ${o.metadata?.name}`),
  });
  const ac = new AbortController();
  await informer.start(ac.signal);
  await informer.waitForSync();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, ['add a', 'add b', 'update a', 'delete b']);
  assert.equal(informer.resourceVersion(), '14');
  assert.deepEqual(api.watchRvs, ['10', '14'], 'the second watch resumes from the last resourceVersion');
  assert.deepEqual(informer.byIndex('node', 'n2').map((p) => p.metadata?.name), ['a']);
  assert.deepEqual(informer.byIndex('node', 'n1'), []);
  ac.abort();
  await informer.stopped();
});

test('a 410 Gone relists and reports what changed meanwhile, including deletions', async () => {
  const api = new FakeApi();
  api.lists.push({ metadata: { resourceVersion: '10' }, items: [pod('a', 5), pod('b', 6)] });
  api.lists.push({ metadata: { resourceVersion: '50' }, items: [pod('a', 40), pod('c', 45)] });
  api.watches.push(async () => {
    throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410 });
  });
  const informer = new Informer(api.client(), { group: '', version: 'v1', resource: 'pods' });
  const log: string[] = [];
  informer.addHandlers({
    onAdd: (o) => log.push(`add ${o.metadata?.name}`),
    onUpdate: (o) => log.push(`update ${o.metadata?.name}`),
    onDelete: (o) => log.push(`delete ${o.metadata?.name}`),
  });
  const ac = new AbortController();
  await informer.start(ac.signal);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, ['add a', 'add b', 'update a', 'add c', 'delete b']);
  assert.deepEqual(informer.list().map((p) => p.metadata?.name).sort(), ['a', 'c']);
  assert.deepEqual(api.watchRvs, ['10', '50']);
  ac.abort();
  await informer.stopped();
});
