/** Bounded parallelism for the catalog's file operations (the helper lives in util/, shared with the step cache). */
export { mapLimit } from '../util/map-limit.js';
