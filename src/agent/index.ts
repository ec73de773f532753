/**
 * The node agent (kubelet): containerd supervision, CRI, images, node registration and lease,
 * pod workers. `Agent` is the Runnable `k3s server` (and later `k3s agent`) starts.
 */
export { Agent, DEFAULT_DATA_DIR, type AgentOptions } from './agent.js';
export { KUBELET_PORT } from './kubelet-api/index.js';
export { CriClient, CriError } from './cri/index.js';
export { containerdPaths, type ContainerdPaths } from './containerd/index.js';
export { ensureBuiltinImages, PAUSE_IMAGE, BusyboxMissingError, type BuiltImages } from './images/builtin.js';
