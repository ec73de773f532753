/**
 * Declares the flag table's flags on a commander command and reads back only the flags the user
 * actually gave, so lower-precedence sources (env, config files, defaults) are not shadowed.
 */
import { Option, type Command } from 'commander';
import { coerceText, ConfigError, flagsFor, type RawSettings, type Role } from '../config/index.js';

export function declareFlags(command: Command, role: Role): Command {
  for (const spec of flagsFor(role)) {
    const long = spec.kind === 'bool' ? `--${spec.name} [bool]` : `--${spec.name} <value>`;
    const flags = spec.short ? `-${spec.short}, ${long}` : long;
    const env = spec.env ? ` [$${spec.env}]` : '';
    const def = spec.default !== undefined && !spec.secret && !(Array.isArray(spec.default) && spec.default.length === 0) ? ` (default: ${JSON.stringify(spec.default)})` : '';
    const unsupported = spec.supported ? '' : ' (not supported yet)';
    const option = new Option(flags, `${spec.description}${env}${def}${unsupported}`);
    if (spec.kind === 'list') {
      // Repeatable: --tls-san a --tls-san b. Commander's variadic form would swallow later args.
      option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    }
    if (spec.kind === 'bool') option.preset('true');
    command.addOption(option);
  }
  return command;
}

export function readCliFlags(command: Command, role: Role): RawSettings {
  const out: RawSettings = new Map();
  const opts = command.opts<Record<string, unknown>>();
  for (const spec of flagsFor(role)) {
    const key = new Option(`--${spec.name}`).attributeName();
    const value = opts[key];
    if (value === undefined) continue;
    const origin = `command-line flag --${spec.name}`;
    if (spec.kind === 'list') {
      const items = (value as string[]).flatMap((v) => coerceText(spec, v, origin) as string[]);
      out.set(spec.name, { value: items, append: false, origin });
    } else if (typeof value === 'string') {
      out.set(spec.name, { value: coerceText(spec, value, origin), append: false, origin });
    } else {
      throw new ConfigError(`${origin}: unexpected value`);
    }
  }
  return out;
}
