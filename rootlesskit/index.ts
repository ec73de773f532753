/**
 * A small typed driver for rootlesskit (1.x) with slirp4netns: argv from settings, start and
 * readiness, and the API client (info, port forwards). Usable on its own; src/rootless/ builds
 * the k3s launcher on it.
 */
export { rootlessKitArgv, type PortDriver, type RootlessKitSettings } from './settings.js';
export { RootlessKitApiError, RootlessKitClient, type PortProto, type PortSpec, type PortStatus, type RootlessKitInfo } from './api-client.js';
export { RootlessKitStartError, startRootlessKit, type RootlessKitInstance, type StartOptions } from './process.js';
export { cachedRootlessKitVersion, rootlessKitVersion, SUBID_SOURCE_SINCE, versionAtLeast } from './version.js';
