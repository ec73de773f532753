/**
 * node:test's `t.after` for a bench, which runs outside the test runner: the test helpers
 * (startNodeCluster, createNetNamespace, ...) register their clean-up through it.
 */
export interface AfterHooks {
  /** What the helpers take as `t`. */
  readonly t: { after(fn: () => unknown): void };
  /** Runs the hooks in registration order, as node:test does (a node's pods go before its namespace and dir); a failing one is reported and the rest still run. */
  run(): Promise<void>;
}

export function afterHooks(): AfterHooks {
  const hooks: (() => unknown)[] = [];
  return {
    t: { after: (fn) => void hooks.push(fn) },
    async run() {
      for (const fn of hooks) {
        try {
          await fn();
        } catch (err) {
          console.error(`cleanup failed: ${String(err)}`);
        }
      }
    },
  };
}
