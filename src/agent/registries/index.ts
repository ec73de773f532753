/** Private registries: registries.yaml parsed, and the containerd hosts.toml tree built from it. */
export { hostOf, loadRegistries, NO_REGISTRIES, parseRegistries, RegistriesError, type Mirror, type Registries, type RegistryAuth, type RegistryConfig, type RegistryTls } from './registries.js';
export { hostsToml, writeHostsTree, type RegistryRuntimeConfig } from './hosts.js';
