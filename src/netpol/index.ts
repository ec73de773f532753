/** NetworkPolicy enforcement on a node (iptables filter rules for its pods). */
export { NetworkPolicyController, type NetworkPolicyOptions } from './controller.js';
export { FilterTable, NetpolIptablesError } from './iptables.js';
export { buildChains, restoreInput, policyTypes, TOP_CHAIN, type ClusterState, type NetworkPolicy } from './rules.js';
