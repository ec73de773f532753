/** Versions this build reports: to users (`k3s --version`) and to kubectl (/version). */
export const K3S_VERSION = '0.1.0';
/** The Kubernetes API level served; kubectl's dispatcher picks its bundled client by the minor. */
export const KUBERNETES_MAJOR = '1';
export const KUBERNETES_MINOR = '32';
export const KUBERNETES_VERSION = `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0`;
export const GIT_VERSION = `${KUBERNETES_VERSION}+k3s-ts.${K3S_VERSION}`;
