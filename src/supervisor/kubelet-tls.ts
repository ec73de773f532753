/**
 * TLS between the API server and kubelets, from the server's PKI: the API server calls kubelets
 * with client-kube-apiserver (CN system:apiserver, as upstream k3s) and trusts the server CA
 * they are signed by; the server's own kubelet gets a serving certificate for its names from
 * that CA (its key kept in serving-kubelet.key, as upstream) and accepts the client CA.
 */
import { readFile } from 'node:fs/promises';
import type { KubeletClientTls } from '../apiserver/proxy/kubelet.js';
import { parsePrivateKey } from '../auth/keys.js';
import type { Pki } from '../auth/pki.js';

export async function kubeletClientTls(pki: Pki): Promise<KubeletClientTls> {
  const [certPem, keyPem] = await Promise.all([readFile(pki.paths.clientKubeApiserver, 'utf8'), readFile(pki.paths.clientKubeApiserverKey, 'utf8')]);
  return { certPem, keyPem, caPem: pki.serverCaPem };
}

export async function kubeletServingTls(pki: Pki, nodeName: string, names: readonly string[]): Promise<{ certPem: string; keyPem: string; clientCaPem: string }> {
  const keyFile = pki.paths.servingKubeletKey;
  const key = parsePrivateKey(await readFile(keyFile, 'utf8'), keyFile);
  const serving = await pki.signServingCertificate(nodeName, [...new Set(names.filter(Boolean))], key);
  return { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: pki.clientCaPem };
}
