export { KubeletApi, type KubeletApiOptions } from './server.js';
export { KubeletError } from './containers.js';
