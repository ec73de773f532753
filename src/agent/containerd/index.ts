/** containerd: generated config and the supervised child process. */
export { containerdConfigToml, containerdPaths, hasCapSysResource, type ContainerdPaths, type ContainerdSettings } from './config.js';
export { Containerd, type ContainerdOptions } from './process.js';
