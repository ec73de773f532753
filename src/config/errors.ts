/** A configuration problem a user must fix; the CLI prints `message` and exits 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
