/**
 * Container lifecycle hooks with upstream's semantics. postStart runs right after the
 * container starts (the container counts as started only once it returns); when it fails the
 * kubelet records FailedPostStartHook and kills the container, which is then restarted under
 * the pod's restart policy. preStop runs before the container is sent SIGTERM, inside the
 * termination grace period: whatever time the hook used is taken from the grace period, with
 * at least 2 seconds left for SIGTERM (upstream's minimum).
 */
import type { EventRecorder } from '../../client/index.js';
import { logger } from '../../log/index.js';
import type { CriClient } from '../cri/index.js';
import { sleep } from '../../supervisor/sleep.js';
import { httpGetCheck, resolvePort, tcpCheck } from './handlers.js';
import type { ContainerSpec, LifecycleHandler, Pod } from './pod-types.js';

const log = logger('kubelet');
const MIN_GRACE_AFTER_HOOK_S = 2;

function describe(handler: LifecycleHandler): string {
  if (handler.exec) return `Exec lifecycle hook (${JSON.stringify(handler.exec.command)})`;
  if (handler.httpGet) return `HTTP lifecycle hook (${handler.httpGet.path ?? '/'})`;
  if (handler.sleep) return `Sleep lifecycle hook (${handler.sleep.seconds}s)`;
  if (handler.tcpSocket) return 'TCP lifecycle hook';
  return 'Lifecycle hook';
}

/** Runs a hook; resolves with the failure message, or undefined when it succeeded. */
export async function runHook(handler: LifecycleHandler, c: ContainerSpec, containerId: string, podIP: string, cri: CriClient, timeoutSeconds: number, signal?: AbortSignal): Promise<string | undefined> {
  try {
    if (handler.exec) {
      const result = await cri.execSync(containerId, handler.exec.command, timeoutSeconds);
      if (result.exitCode === 0) return undefined;
      return `command '${handler.exec.command.join(' ')}' exited with ${result.exitCode}: ${(result.stdout.toString() + result.stderr.toString()).trim().slice(0, 500)}`;
    }
    if (handler.httpGet) return await httpGetCheck(handler.httpGet, resolvePort(c, handler.httpGet.port), handler.httpGet.host || podIP, timeoutSeconds * 1000);
    if (handler.sleep) {
      await sleep(Math.max(0, handler.sleep.seconds) * 1000, signal);
      return undefined;
    }
    if (handler.tcpSocket) return await tcpCheck(handler.tcpSocket.host || podIP, resolvePort(c, handler.tcpSocket.port), timeoutSeconds * 1000);
    return 'the hook has no handler (exec, httpGet or sleep)';
  } catch (err) {
    return (err as { details?: string }).details ?? (err as Error).message;
  }
}

function podRef(pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name}_${m.namespace}(${m.uid})`;
}

/**
 * Runs postStart for a just-started container. On failure records the events upstream
 * records and stops the container; returns false then.
 */
export async function postStart(pod: Pod, c: ContainerSpec, containerId: string, podIP: string, cri: CriClient, events: EventRecorder): Promise<boolean> {
  const hook = c.lifecycle?.postStart;
  if (!hook) return true;
  const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
  // postStart has no timeout of its own upstream; bound exec so a wedged hook cannot hold the worker forever.
  const failure = await runHook(hook, c, containerId, podIP, cri, 120);
  if (failure === undefined) return true;
  const message = `${describe(hook)} for Container "${c.name}" in Pod "${podRef(pod)}" failed - error: ${failure}`;
  log.info({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, container: c.name, failure }, 'postStart hook failed; killing the container');
  void events.event(pod, 'Warning', 'FailedPostStartHook', message);
  void events.event(pod, 'Normal', 'Killing', `FailedPostStartHook`);
  await stopWithPreStop(pod, c, containerId, podIP, cri, events, grace);
  return false;
}

/** Runs preStop (if any) then stops the container with what is left of `graceSeconds`. */
export async function stopWithPreStop(pod: Pod, c: ContainerSpec | undefined, containerId: string, podIP: string, cri: CriClient, events: EventRecorder, graceSeconds: number): Promise<void> {
  const hook = c?.lifecycle?.preStop;
  let remaining = graceSeconds;
  if (hook && c && graceSeconds > 0) {
    const started = Date.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), graceSeconds * 1000);
    const failure = await Promise.race([
      runHook(hook, c, containerId, podIP, cri, graceSeconds, controller.signal),
      new Promise<string>((resolve) => controller.signal.addEventListener('abort', () => resolve(`the hook did not finish within the grace period (${graceSeconds}s)`), { once: true })),
    ]);
    clearTimeout(timer);
    controller.abort();
    if (failure !== undefined) void events.event(pod, 'Warning', 'FailedPreStopHook', `${describe(hook)} for Container "${c.name}" in Pod "${podRef(pod)}" failed - error: ${failure}`);
    remaining = Math.max(MIN_GRACE_AFTER_HOOK_S, Math.ceil(graceSeconds - (Date.now() - started) / 1000));
  }
  await cri.stopContainer(containerId, remaining);
}
