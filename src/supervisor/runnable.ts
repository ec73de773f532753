/**
 * Every long-running piece of k3s is a Runnable: started in dependency order by the supervisor,
 * stopped through its AbortSignal, with readiness the supervisor waits on before starting the
 * next piece.
 */
export interface Runnable {
  /** Name used in logs and readiness reports, e.g. "datastore", "apiserver". */
  readonly name: string;
  /**
   * Starts the component. Resolves once it is ready to serve (the supervisor then starts the
   * next one); the component keeps running until `signal` aborts, then releases everything it
   * holds. Rejects if it cannot start.
   */
  start(signal: AbortSignal): Promise<void>;
  /** Resolves when the component has fully stopped after abort. */
  stopped?(): Promise<void>;
}
