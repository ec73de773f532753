/** Resource quota arithmetic shared by the quota controller and quota / limit-range admission. */
export { addUsage, canonicalQuantity, formatMilli, toMilli, type Usage } from './quantity.js';
export { countName, isBestEffort, matchesScopes, missingStatements, podLimits, podRequests, targetsFor, usageOf, type QuotaSpec, type QuotaTarget } from './usage.js';
