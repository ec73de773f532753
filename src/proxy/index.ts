/** The service proxy: Service virtual IPs, node ports and load-balancer ingress to endpoints, with iptables. */
export { ServiceProxy, type ServiceProxyOptions } from './proxier.js';
export { servicePorts, type Endpoint, type EndpointSlice, type Service, type ServicePort } from './model.js';
export { buildRules, restoreInput, cleanupInput, chainSuffix, JUMPS, type Tables, type RuleOptions } from './rules.js';
export { prepareNodeNetwork, type NodeNetworkFacts } from './node-setup.js';
