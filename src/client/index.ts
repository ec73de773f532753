/** The API client: one interface (types.ts), loopback and HTTPS implementations, informers, work queues. */
export * from './types.js';
export { HttpsClient, httpsClientFromKubeconfig, type HttpsClientOptions } from './https-client.js';
export { Informer, objectKey, splitKey, type InformerHandlers, type InformerOptions } from './informer.js';
export { WorkQueue, type BackoffOptions, type Reconcile } from './work-queue.js';
export { SharedInformers } from './shared-informers.js';
export { EventRecorder, type EventSource, type EventType } from './events.js';
export { withFieldManager } from './field-manager.js';
