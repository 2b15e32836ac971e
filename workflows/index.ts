/** Workflow entry point for the worker's bundle: every workflow type the engine registers. */
export { canaryRelease } from './release.js';
export { canaryRepair } from './repair.js';
export { canaryAnnouncements } from './announcements.js';
