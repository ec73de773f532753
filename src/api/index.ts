/** The resource catalogue: what the API serves, and everything derived from it. */
export { Catalogue, type APIGroupInfo } from './catalogue.js';
export { builtinResources, definitionName, SCALE_KIND } from './resources/index.js';
export type * from './types.js';
export {
  AGGREGATED_DISCOVERY_V2,
  AGGREGATED_DISCOVERY_V2BETA1,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  storageVersionHash,
  type AggregatedVersion,
} from './discovery.js';
