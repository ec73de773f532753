/** Configuration: flags + K3S_* env + config.yaml -> one typed Config. */
export { buildConfig, userDefaults, type BuildInput } from './build.js';
export { ConfigError } from './errors.js';
export { FLAGS, flagSpec, flagsFor, type FlagSpec, type FlagKind, type Role } from './flags.js';
export { agentPaths, serverPaths, type AgentPaths, type ServerPaths } from './paths.js';
export { Secret } from './secret.js';
export { DEFAULT_COPY_UP_DIRS, ROOTLESS_ENV } from './rootless.js';
export { coerceText, type RawSettings, type RawSetting, type RawValue } from './sources.js';
export * from './types.js';
export * as net from './net.js';
