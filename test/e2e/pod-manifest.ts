/** The e2e tests' one-container pods, as the YAML kubectl applies. */

/** Provided by the product itself (no registry needed). */
export const BUSYBOX = 'docker.io/library/busybox:1.35.0';

export interface PodOptions {
  image?: string;
  /** terminationGracePeriodSeconds; the API's default (30) when left out. */
  grace?: number;
  pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  labels?: Record<string, string>;
  /** More fields of the container, as YAML lines indented by four spaces. */
  containerYaml?: string;
}

/** Pod `name` bound to `node`, container `main` running `command` under `sh -c`. */
export function podOnNode(name: string, node: string, command: string, options: PodOptions = {}): string {
  const labels = options.labels ? `  labels: ${JSON.stringify(options.labels)}\n` : '';
  const grace = options.grace !== undefined ? `  terminationGracePeriodSeconds: ${options.grace}\n` : '';
  const pull = options.pullPolicy ? `    imagePullPolicy: ${options.pullPolicy}\n` : '';
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
${labels}spec:
  nodeName: ${node}
${grace}  containers:
  - name: main
    image: ${options.image ?? BUSYBOX}
${pull}    command: ["sh", "-c", ${JSON.stringify(command)}]
${options.containerYaml ?? ''}`;
}
