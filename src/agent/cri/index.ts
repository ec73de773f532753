/** CRI v1 over gRPC: the typed client and the message shapes. */
export { CriClient, CriError, type CriClientOptions } from './client.js';
export type * from './types.js';
