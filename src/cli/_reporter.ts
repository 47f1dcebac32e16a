/** The CLI's names for the run reporter, which the SDK's `execute()` shares (views/reporter.ts). */
export { TerminalReporter, useColour, useLiveArea, formatDuration, type ReporterOptions } from '../views/reporter.js';
