/**
 * Expectations (upstream's ControllerExpectations): the pod creations and deletions a controller
 * has asked for but its informer has not shown yet. While any are outstanding the controller's
 * view is stale, so a reconcile must not act on the same shortfall again; after a while
 * (5 minutes, as upstream) they are presumed lost and forgotten. Keys are the owners'
 * namespace/name; deletions are tracked by an id of the pod the caller chooses (uid or key).
 */
const TTL_MS = 5 * 60 * 1000;

interface Expectation {
  adds: number;
  readonly deletes: Set<string>;
  at: number;
}

export class Expectations {
  readonly #map = new Map<string, Expectation>();

  constructor(
    private readonly ttlMs = TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Replaces what `key` waits for. */
  expect(key: string, adds: number, deletes: Iterable<string> = []): void {
    this.#map.set(key, { adds, deletes: new Set(deletes), at: this.now() });
  }

  /** Adds to what `key` waits for (a lapsed expectation starts afresh). */
  raise(key: string, adds: number, deletes: Iterable<string> = []): void {
    let e = this.#map.get(key);
    if (!e || this.now() - e.at > this.ttlMs) this.#map.set(key, (e = { adds: 0, deletes: new Set(), at: this.now() }));
    e.adds += adds;
    for (const id of deletes) e.deletes.add(id);
    e.at = this.now();
  }

  /** Creations that failed (or were never sent) will never be observed. */
  creationsFailed(key: string, n: number): void {
    const e = this.#map.get(key);
    if (e) e.adds -= n;
  }

  creationObserved(key: string): void {
    const e = this.#map.get(key);
    if (e && e.adds > 0) e.adds--;
  }

  /** The pod is going or gone (or its deletion failed and will not be observed). */
  deletionObserved(key: string, id: string): void {
    this.#map.get(key)?.deletes.delete(id);
  }

  satisfied(key: string): boolean {
    const e = this.#map.get(key);
    if (!e || this.now() - e.at > this.ttlMs) return true;
    return e.adds <= 0 && e.deletes.size === 0;
  }

  forget(key: string): void {
    this.#map.delete(key);
  }
}
