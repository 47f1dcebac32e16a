/**
 * The live area under a long run's output on a terminal: how many steps, branches and map
 * items are done, running, failed and left, the elapsed time and an estimate of what remains,
 * and the steps running now. log-update redraws it in place; everything printed above it
 * (finished steps, task output) goes through `persist` so the two never tangle.
 *
 * The area writes to fd 2 directly, like the reporter: task output captured from
 * process.stdout/stderr must not capture the progress area too.
 */
import { createLogUpdate } from 'log-update';
import type { Status } from '../runlog/types.js';
import { writeFd } from '../util/fd.js';

interface Counter {
  done: number;
  failed: number;
  running: number;
  known: number;
}

const counter = (): Counter => ({ done: 0, failed: 0, running: 0, known: 0 });

export class LiveProgress {
  private readonly area: ReturnType<typeof createLogUpdate>;
  private readonly started = Date.now();
  private readonly steps = counter();
  private readonly branches = counter();
  private readonly items = counter();
  /** map branches, by internal name, to count them as map items */
  private readonly mapBranches = new Set<string>();
  private readonly running = new Map<string, number>();
  private readonly failedNames = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly paint: { dim(s: string): string; bold(s: string): string; red(s: string): string; green(s: string): string; cyan(s: string): string },
    /** redraws at most this often */
    private readonly intervalMs = 150,
  ) {
    // a terminal of unknown size (a pty opened by `script`) reports 0 x 0: assume 100 x 30
    const sink = {
      isTTY: true,
      get columns() {
        return process.stderr.columns || 100;
      },
      get rows() {
        return process.stderr.rows || 30;
      },
      write: (s: string) => writeFd(2, s),
    };
    this.area = createLogUpdate(sink as unknown as NodeJS.WriteStream, { showCursor: true });
  }

  /** a line above the live area */
  persist(text: string): void {
    this.area.persist(text.endsWith('\n') ? text.slice(0, -1) : text);
    this.schedule();
  }

  stepStarted(name: string, leaf: boolean): void {
    if (!leaf) return;
    // a failed attempt is followed by another: the step is not done after all
    if (this.failedNames.delete(name)) {
      this.steps.done--;
      this.steps.failed--;
    }
    if (!this.running.has(name)) {
      this.steps.running++;
      this.running.set(name, Date.now());
    }
    this.schedule();
  }

  stepFinished(name: string, leaf: boolean, status: Status): void {
    if (!leaf) return;
    if (this.running.delete(name)) this.steps.running--;
    this.steps.done++;
    if (status === 'FAIL') {
      this.steps.failed++;
      this.failedNames.add(name);
    }
    this.schedule();
  }

  branchesOpened(type: string, branches: string[], stepsPerBranch: number): void {
    this.branches.known += branches.length;
    this.steps.known += branches.length * stepsPerBranch;
    if (type === 'map') {
      this.items.known += branches.length;
      for (const b of branches) this.mapBranches.add(b);
    }
    this.schedule();
  }

  expectSteps(n: number): void {
    this.steps.known += n;
  }

  branchStarted(name: string): void {
    this.branches.running++;
    if (this.mapBranches.has(name)) this.items.running++;
    this.schedule();
  }

  branchFinished(name: string, status: Status): void {
    for (const c of this.mapBranches.has(name) ? [this.branches, this.items] : [this.branches]) {
      c.running--;
      c.done++;
      if (status === 'FAIL') c.failed++;
    }
    this.mapBranches.delete(name);
    this.schedule();
  }

  /** the live area's text (also what the tests read) */
  render(now = Date.now()): string {
    const { dim, bold, red, cyan } = this.paint;
    const elapsed = now - this.started;
    const line = (label: string, c: Counter) => {
      const left = Math.max(0, c.known - c.done - c.running);
      return `${label.padEnd(9)} ${bold(String(c.done))} done  ${c.running} running  ${c.failed ? red(`${c.failed} failed`) : '0 failed'}  ${left} left`;
    };
    const lines = [line('steps', this.steps)];
    if (this.branches.known) lines.push(line('branches', this.branches));
    if (this.items.known) lines.push(line('map items', this.items));
    const left = Math.max(0, this.steps.known - this.steps.done);
    const eta = this.steps.done && left ? `  ~${clock((elapsed / this.steps.done) * left)} left` : '';
    lines.push(`${dim('elapsed')} ${clock(elapsed)}${eta}`);
    const now_ = [...this.running.entries()].sort((a, b) => a[1] - b[1]);
    for (const [name, since] of now_.slice(0, 5)) lines.push(`  ${cyan('▸')} ${name} ${dim(clock(now - since))}`);
    if (now_.length > 5) lines.push(dim(`  … and ${now_.length - 5} more running`));
    return lines.join('\n');
  }

  private schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.draw();
    }, this.intervalMs);
    this.timer.unref();
  }

  private draw(): void {
    this.dirty = false;
    this.area(this.render());
  }

  /** the area's last state stays on screen above the summary */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.area.clear();
  }
}

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
