/** `runnable timeline RUN_ID [-o FILE.html] [--open] [--console]`: the run report. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { loadPipelineSource } from '../runner/load.js';
import { loadServices } from '../runner/prepare.js';
import type { Status } from '../runlog/types.js';
import { collectReport } from '../views/timeline-collect.js';
import { consoleGantt } from '../views/timeline-console.js';
import { timelineHtml } from '../views/timeline-html.js';
import { useColour } from '../views/reporter.js';
import { EXIT_OK, reportError } from './_errors.js';
import { say } from './_level.js';

export interface TimelineFlags {
  config?: string;
  output?: string;
  open?: boolean;
  console?: boolean;
  history?: string;
}

export async function timelineCommand(runId: string, flags: TimelineFlags): Promise<number> {
  try {
    const services = await loadServices({ configFile: flags.config ?? process.env.RUNNABLE_CONFIGURATION_FILE });
    if (flags.console) {
      const { readRunLog } = await import('../runlog/assemble.js');
      const log = await readRunLog(services.store, runId);
      const c = pc.createColors(useColour() && !!process.stdout.isTTY);
      const colour = (s: Status, t: string) => (s === 'SUCCESS' ? c.green(t) : s === 'FAIL' ? c.red(t) : s === 'PROCESSING' ? c.blue(t) : c.dim(t));
      process.stdout.write(consoleGantt(log, { width: process.stdout.columns ?? 100, colour }));
      return EXIT_OK;
    }
    const input = await collectReport({
      ...services,
      runId,
      historyRuns: flags.history ? Number(flags.history) : undefined,
      loadPipeline: loadPipelineSource,
    });
    const file = flags.output ?? `${runId}.timeline.html`;
    writeFileSync(file, timelineHtml(input));
    say(`wrote ${file}`);
    if (flags.open) openInBrowser(path.resolve(file));
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

/** The desktop's opener, with the file as an argument (never through a shell). */
function openInBrowser(file: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [file], { stdio: 'ignore', detached: true });
  child.on('error', () => say(`could not start ${opener}; open ${file} in a browser`, 'warning'));
  child.unref();
}
