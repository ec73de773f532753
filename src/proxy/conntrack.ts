/**
 * Removal of stale UDP conntrack entries when a Service's endpoints change. UDP has no
 * connection to end: without this, a client that keeps its source port (a DNS resolver, say)
 * keeps being sent to an endpoint that is gone until the entry times out. Uses the conntrack
 * tool (Debian package conntrack) when installed; without it entries age out on their own,
 * which the proxy says once at startup.
 */
import { findProgram, runProgram } from './iptables.js';

/** What the proxy needs from conntrack (the Conntrack class; a fake in unit tests). */
export interface ConntrackCleaner {
  readonly available: boolean;
  clear(target: { ip?: string; port: number; endpointIP?: string }): Promise<void>;
}

export class Conntrack implements ConntrackCleaner {
  readonly #path: string | undefined = findProgram('conntrack');

  get available(): boolean {
    return this.#path !== undefined;
  }

  /** Deletes UDP entries to `ip:port` (or to any local address on `port` when ip is absent, for node ports). */
  async clear(target: { ip?: string; port: number; endpointIP?: string }): Promise<void> {
    if (!this.#path) return;
    const args = ['-D', '-p', 'udp', '--orig-port-dst', String(target.port)];
    if (target.ip) args.push('--orig-dst', target.ip);
    if (target.endpointIP) args.push('--reply-src', target.endpointIP);
    // Exit status 1 with "0 flow entries have been deleted" is the normal nothing-to-do case.
    await runProgram(this.#path, args, undefined, 10_000);
  }
}
