export type { Runnable } from './runnable.js';
export { Supervisor, type SupervisorOptions } from './supervisor.js';
