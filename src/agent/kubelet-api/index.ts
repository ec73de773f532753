export { KubeletApi, KUBELET_PORT, type KubeletApiOptions } from './server.js';
export { KubeletError } from './containers.js';
