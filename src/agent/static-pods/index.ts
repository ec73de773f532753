/** Static pods: manifests from <data-dir>/agent/pod-manifests run by the node, mirrored in the API. */
export { CONFIG_HASH, CONFIG_MIRROR, CONFIG_SEEN, CONFIG_SOURCE, ManifestError, scanManifests, staticPodFromManifest, type ManifestScan } from './manifests.js';
export { isMirrorPod, StaticPods } from './static-pods.js';
