/** The scheduler: binds pending pods to nodes (filter, score, bind), run under its own leader lease. */
export { Scheduler, SCHEDULER_NAME } from './scheduler.js';
export { podRequests, nodeAllocatable, type Resources } from './resources.js';
