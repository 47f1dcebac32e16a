/** runnable-ts public API. */
export { RunnableError } from './errors.js';
export type { ErrorCode, ErrorLocation } from './errors.js';
export type * from './graph/model.js';
export type * from './runlog/types.js';
