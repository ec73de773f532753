/**
 * The NetworkPolicy e2e tests' pods (a busybox httpd server behind a LoadBalancer Service, and a
 * client looping nc against it) and the reading of the client's verdicts from its container log
 * on disk, where the kubelet writes it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers/index.js';
import { BUSYBOX } from './node-cluster.js';

/** Pod `server` (app: server, httpd answering "hello" on the named port http, 8080) and LoadBalancer Service `web` on `port`. */
export const serverAndService = (port: number): string => `
apiVersion: v1
kind: Pod
metadata: { name: server, labels: { app: server } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: httpd
    image: ${BUSYBOX}
    command: [sh, -c, "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: LoadBalancer
  selector: { app: server }
  ports: [{ port: ${port}, targetPort: http }]
`;

/**
 * Pod `client` (app: client), container `loop`: prints OK or FAIL every half second for a GET of
 * `ip`:8080. busybox nc, not wget: the static busybox wget crashes (SIGSEGV) in these containers.
 */
export const client = (ip: string): string => `
apiVersion: v1
kind: Pod
metadata: { name: client, labels: { app: client } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: loop
    image: ${BUSYBOX}
    command:
    - sh
    - -c
    - |
      while true; do
        if printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 8080 | grep -q hello; then echo OK; else echo FAIL; fi
        sleep 0.5
      done
`;

/** Denies all ingress to the server. */
export const DENY = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: deny-server }
spec:
  podSelector: { matchLabels: { app: server } }
  policyTypes: [Ingress]
`;

export interface ClientVerdicts {
  /** Every OK/FAIL the client printed so far. */
  lines(): string[];
  /**
   * Waits until the loop prints `want` three times in a row after what it had printed so far;
   * on timeout, rethrows with the log's tail and `explain`'s text.
   */
  settlesOn(want: 'OK' | 'FAIL', what: string): Promise<void>;
}

/** `agentDir` is the node's agent dir (logs/pods lives under it); `uid` the client pod's. */
export function clientVerdicts(agentDir: string, uid: string, explain: () => Promise<string> = async () => ''): ClientVerdicts {
  const logDir = join(agentDir, 'logs', 'pods', `default_client_${uid}`, 'loop');
  const lines = (): string[] => {
    if (!existsSync(logDir)) return [];
    return readdirSync(logDir).sort().flatMap((f) => readFileSync(join(logDir, f), 'utf8').split('\n')).map((l) => l.split(' ').at(-1)!).filter((w) => w === 'OK' || w === 'FAIL');
  };
  const settlesOn = async (want: string, what: string): Promise<void> => {
    const from = lines().length;
    await waitFor(what, () => {
      const recent = lines().slice(from);
      return recent.length >= 3 && recent.slice(-3).every((l) => l === want);
    }, 60_000, 500).catch(async (err: Error) => {
      throw new Error(`${err.message}\nclient log tail: ${lines().slice(-10).join(' ')}\n${await explain()}`);
    });
  };
  return { lines, settlesOn };
}
