/**
 * Asks the user's systemd manager, over the D-Bus session bus, for a transient scope with
 * Delegate=yes holding this process: the same thing `systemd-run --user --scope -p Delegate=yes`
 * does, so `k3s server --rootless` straight from a terminal gets a delegated cgroup v2 subtree.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as DbusNext from 'dbus-next';
import type { ClientInterface, MessageBus } from 'dbus-next';

export type ScopeResult = { readonly ok: true; readonly unit: string } | { readonly ok: false; readonly reason: string };

export interface ScopeRequest {
  readonly unitName: string;
  /** Processes to move into the scope: the launcher, and the wrapper that becomes rootlesskit. */
  readonly pids: readonly number[];
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** The session bus address, from DBUS_SESSION_BUS_ADDRESS or the standard $XDG_RUNTIME_DIR/bus. */
export function sessionBusAddress(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
  if (env.XDG_RUNTIME_DIR && existsSync(join(env.XDG_RUNTIME_DIR, 'bus'))) return `unix:path=${join(env.XDG_RUNTIME_DIR, 'bus')}`;
  return undefined;
}

export async function startDelegatedScope(request: ScopeRequest): Promise<ScopeResult> {
  const address = sessionBusAddress(request.env);
  if (!address) return { ok: false, reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and $XDG_RUNTIME_DIR/bus does not exist)' };
  const timeoutMs = request.timeoutMs ?? 5000;
  // Loaded only when there is a bus to ask: it costs the launcher's start ~1/3 of its module load.
  const { default: dbus } = await import('dbus-next');
  const bus = dbus.sessionBus({ busAddress: address });
  // dbus-next reports connection failures as 'error' events; without a listener they would throw.
  let busError: Error | undefined;
  bus.on('error', (err: Error) => (busError = err));
  try {
    return await withTimeout(requestScope(dbus, bus, request), timeoutMs, `no answer from the systemd --user manager within ${timeoutMs} ms`);
  } catch (err) {
    const cause = busError ?? (err as Error);
    return { ok: false, reason: `cannot ask the systemd --user manager for a delegated scope: ${cause.message}` };
  } finally {
    bus.disconnect();
  }
}

interface SystemdManager extends ClientInterface {
  StartTransientUnit(name: string, mode: string, properties: unknown[][], aux: unknown[]): Promise<string>;
}

async function requestScope(dbus: typeof DbusNext, bus: MessageBus, request: ScopeRequest): Promise<ScopeResult> {
  const object = await bus.getProxyObject('org.freedesktop.systemd1', '/org/freedesktop/systemd1');
  const manager = object.getInterface<SystemdManager>('org.freedesktop.systemd1.Manager');
  // JobRemoved can arrive before the method reply: keep every result by job path.
  const results = new Map<string, string>();
  const waiters = new Map<string, (result: string) => void>();
  manager.on('JobRemoved', (_id: number, job: string, _unit: string, result: string) => {
    results.set(job, result);
    waiters.get(job)?.(result);
  });
  const properties = [
    ['PIDs', new dbus.Variant('au', [...request.pids])],
    ['Delegate', new dbus.Variant('b', true)],
    ['Description', new dbus.Variant('s', 'k3s rootless (delegated cgroup for containers)')],
  ];
  const job = await manager.StartTransientUnit(request.unitName, 'fail', properties, []);
  const result = results.get(job) ?? (await new Promise<string>((resolve) => waiters.set(job, resolve)));
  if (result !== 'done') return { ok: false, reason: `systemd --user could not start ${request.unitName}: job result "${result}"` };
  return { ok: true, unit: request.unitName };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}
