/** The `runnable` command line (SPEC §1): thin commands over the library. */
import { Argument, Command, CommanderError, Option } from 'commander';
import { EXIT_BAD_INPUT, reportError } from './_errors.js';
import { setCliLevel } from './_level.js';
import { LOG_LEVELS, parseLogLevel, type LogLevel } from '../views/log-level.js';
import { packageVersion } from '../util/package-root.js';

/** `--help`'s closing lines: an example or two of the command, as a user would type them. */
const examples = (...lines: string[]): string => `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  ${l}`).join('\n')}`;

/** `--log-level` wins over `--quiet`/`--verbose`; both of those at once is a usage error. */
function levelOf(o: { logLevel?: LogLevel; quiet?: boolean; verbose?: boolean }): LogLevel {
  if (o.logLevel) return o.logLevel;
  if (o.quiet && o.verbose) throw new CommanderError(EXIT_BAD_INPUT, 'runnable.usage', 'error: --quiet and --verbose contradict each other: give one (or --log-level)\n');
  return o.quiet ? 'warning' : o.verbose ? 'debug' : 'info';
}

function logLevelArg(value: string): LogLevel {
  const level = parseLogLevel(value);
  if (!level) throw new CommanderError(EXIT_BAD_INPUT, 'runnable.usage', `error: --log-level '${value}': expected one of ${LOG_LEVELS.join(', ')}\n`);
  return level;
}

export { awaitCommand } from './_await-command.js';

/** Never rejects: whatever a command throws is reported in one line (./_errors.ts). */
export async function main(argv: string[]): Promise<number> {
  installLastResort();
  try {
    return await run(argv);
  } catch (err) {
    return reportError(err);
  }
}

/**
 * Errors thrown outside any command's await chain (a user's step leaving a rejected promise or a
 * throwing timer behind) end the process with the same one line, not node's stack trace.
 */
let installed = false;
function installLastResort(): void {
  if (installed) return;
  installed = true;
  const fatal = (err: unknown) => process.exit(reportError(err));
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

async function run(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('runnable')
    .description('Run a pipeline of plain TypeScript, shell, notebook or Python steps, anywhere.')
    .version(packageVersion(), '-V, --version', 'print the version of runnable-ts')
    // global: before or after the command's name (`runnable -q execute p.yaml`, `runnable execute p.yaml -q`)
    .addOption(new Option('--log-level <level>', `how much to say: ${LOG_LEVELS.join(', ')} (default info; runnable's INFO, WARNING, ... too)`).argParser(logLevelArg))
    .option('-q, --quiet', 'the same as --log-level warning: no progress or step lines; errors, warnings and a failed run\'s summary')
    .option('-v, --verbose', 'the same as --log-level debug: also the resolved configuration, each command started, internal errors\' stacks')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // each command's --help lists them too
    .configureHelp({ showGlobalOptions: true })
    .hook('preAction', (top, action) => setCliLevel(levelOf({ ...top.opts(), ...(action.opts().quiet ? { quiet: true } : {}) })));

  const runOptions = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'configuration file (else RUNNABLE_CONFIGURATION_FILE, else runnable-config.yaml)')
      .option('-p, --parameters <file>', 'parameters file (else RUNNABLE_PARAMETERS_FILE)')
      .option('--run-id <id>', 'run id (else RUNNABLE_RUN_ID, else generated)')
      .option('--tag <tag>', 'tag recorded in the run log (else RUNNABLE_RUN_TAG)')
      .option('--json', 'print {run_id, status, run_log} as JSON on stdout at the end');

  runOptions(program.command('execute').argument('[pipeline]', 'pipeline YAML or TS/JS module').option('-f, --file <pipeline>', 'the pipeline (alternative to the argument)'))
    .option('--no-cache', 'run cached steps anyway (recorded as cache misses); their results refresh the step cache')
    .option('--detach', 'hand the run to the executor and return at once (slurm: a driver job runs it in the cluster)')
    .description('run a pipeline')
    .addHelpText('after', examples('runnable execute pipeline.yaml -p parameters.yaml', 'runnable execute pipeline.ts -c runnable-config.yaml --tag nightly --json'))
    .action(async (pipeline: string | undefined, flags) => {
      const file = pipeline ?? flags.file;
      if (!file) throw new CommanderError(EXIT_BAD_INPUT, 'runnable.usage', 'error: missing pipeline file\n');
      const { executeCommand } = await import('./execute.js');
      code = await executeCommand(file, flags);
    });

  runOptions(program.command('execute-job').argument('<job>', "job YAML (top-level 'job:') or TS/JS module default-exporting a job"))
    .option('--dry-run', 'print what the job executor would submit (k8s-job: the Job manifest) and run nothing')
    .description('run a single-task job')
    .addHelpText('after', examples('runnable execute-job job.yaml -c k8s-config.yaml', 'runnable execute-job job.yaml -c k8s-config.yaml --dry-run'))
    .action(async (job: string, flags) => {
      const { executeJobCommand } = await import('./execute-job.js');
      code = await executeJobCommand(job, flags);
    });

  program
    .command('retry')
    .argument('<run_id>')
    .option('-c, --config <file>', 'configuration file (else RUNNABLE_CONFIGURATION_FILE, else runnable-config.yaml)')
    .option('--json', 'print {run_id, status, run_log} as JSON on stdout at the end')
    .option('--no-cache', 'run cached steps anyway (recorded as cache misses); their results refresh the step cache')
    .option('--detach', 'hand the run to the executor and return at once (slurm: a driver job runs it in the cluster)')
    .description('continue a failed or interrupted run: succeeded steps are skipped, the others run again')
    .addHelpText('after', examples('runnable retry brave-curie-120000-abc123', 'runnable retry brave-curie-120000-abc123 -c runnable-config.yaml'))
    .action(async (runId: string, flags) => {
      const { retryCommand } = await import('./retry.js');
      code = await retryCommand(runId, flags);
    });

  const stepOptions = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'configuration file (else RUNNABLE_CONFIGURATION_FILE, else runnable-config.yaml)')
      .option('-p, --parameters <file>', 'accepted for compatibility: parameters come from the run log')
      .option('--map-variable <json>', 'values of the enclosing map/loop steps, outermost first: \'{"chunk": 3}\'')
      .option('--quiet', 'no progress lines, only the step\'s own output')
      .option('--json', 'print the outcome as JSON on stdout');

  stepOptions(
    program
      // plumbing the executors call: hidden from the top-level list (as runnable does), still with its own --help
      .command('execute-single-node', { hidden: true })
      .argument('<run_id>', 'an existing run')
      .argument('<pipeline>', 'the pipeline file the run was started from')
      .argument('<step>', 'internal name of the step, e.g. map_step.map_variable_placeholder.inner'),
  )
    .option('--one-attempt', 'a task makes one attempt (the engine runs the command again for the next: Argo retryStrategy)')
    .description('run one step of an existing run (what containers, Slurm jobs and Argo pods call)')
    .addHelpText('after', examples("runnable execute-single-node brave-curie-120000-abc123 pipeline.yaml train -c runnable-config.yaml", `runnable execute-single-node brave-curie-120000-abc123 pipeline.yaml 'fan.map_variable_placeholder.fit' --map-variable '{"chunk": 3}'`))
    .action(async (runId: string, pipeline: string, step: string, flags) => {
      const { executeSingleNodeCommand } = await import('./execute-single-node.js');
      code = await executeSingleNodeCommand(runId, pipeline, step, flags);
    });

  stepOptions(
    program
      .command('fan', { hidden: true })
      .argument('<run_id>', 'an existing run')
      .argument('<step>', 'internal name of a parallel, map, conditional or loop step')
      .argument('<pipeline>', 'the pipeline file the run was started from')
      .addArgument(new Argument('<direction>', 'in: open the step and its branches; out: close it from their outcome').choices(['in', 'out'])),
  )
    .option('--outputs <dir>', 'also write the branches to run as files in DIR (what Argo reads as output parameters)')
    .description('open (in) or close (out) a composite step of an existing run')
    .addHelpText('after', examples('runnable fan brave-curie-120000-abc123 fan pipeline.yaml in --json', 'runnable fan brave-curie-120000-abc123 fan pipeline.yaml out'))
    .action(async (runId: string, step: string, pipeline: string, direction: 'in' | 'out', flags) => {
      const { fanCommand } = await import('./fan.js');
      code = await fanCommand(runId, step, pipeline, direction, flags);
    });

  program
    // plumbing: an Argo workflow's first pod calls it
    .command('open-run', { hidden: true })
    .argument('<run_id>', 'the run to create, or to continue if it failed')
    .argument('<pipeline>', 'the pipeline file')
    .option('-c, --config <file>', 'configuration file (else RUNNABLE_CONFIGURATION_FILE, else runnable-config.yaml)')
    .option('-p, --parameters <file>', 'parameters file (else RUNNABLE_PARAMETERS_FILE)')
    .option('--tag <tag>', 'tag recorded in the run log (else RUNNABLE_RUN_TAG)')
    .description("create a run without running it, or continue a failed one (an Argo workflow's first pod)")
    .addHelpText('after', examples('runnable open-run brave-curie-120000-abc123 pipeline.yaml -p parameters.yaml --tag nightly'))
    .action(async (runId: string, pipeline: string, flags) => {
      const { openRunCommand } = await import('./open-run.js');
      code = await openRunCommand(runId, pipeline, flags);
    });

  program
    .command('validate')
    .argument('<pipeline>')
    .option('-c, --config <file>', 'check the config too, and what the executor would write (argo: the manifest, against the Argo schema)')
    .option('-p, --parameters <file>', 'the parameters the run would get (else RUNNABLE_PARAMETERS_FILE), with RUNNABLE_PRM_*')
    .option('--parameters-file <file>', 'the same as -p (runnable spells it so)')
    .description('check a pipeline without running it: every problem a run would meet before or at a step, one line each')
    .addHelpText('after', examples('runnable validate pipeline.yaml', 'runnable validate pipeline.yaml -c argo-config.yaml'))
    .action(async (pipeline: string, flags) => {
      const { validateCommand } = await import('./validate.js');
      code = await validateCommand(pipeline, flags);
    });

  program
    .command('schema')
    .description('print the JSON Schema of the pipeline YAML (or of job or config files), for editors')
    .option('--job', 'the schema of job files (a top-level job: task)')
    .option('--config', 'the schema of config files (pipeline-executor, run-log-store, catalog, ...)')
    .addHelpText('after', '\nThe package ships them too: node_modules/runnable-ts/schemas/{pipeline,job,config}.schema.json\nExample: runnable schema --config > config.schema.json')
    .action(async (flags: { job?: boolean; config?: boolean }) => {
      const { schemaCommand } = await import('./validate.js');
      code = await schemaCommand(flags);
    });

  program
    .command('graph')
    .argument('<pipeline>')
    .option('--format <format>', 'mermaid, dot, svg or html (default: from -o, else mermaid)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--run <run_id>', 'colour the steps by how they ended in that run')
    .option('-c, --config <file>', 'configuration file naming the run-log store (with --run)')
    .description('draw the pipeline: composites as clusters, on_failure edges dashed')
    .addHelpText('after', examples('runnable graph pipeline.yaml -o pipeline.svg', 'runnable graph pipeline.yaml --run brave-curie-120000-abc123 --format mermaid'))
    .action(async (pipeline: string, flags) => {
      const { graphCommand } = await import('./graph.js');
      code = await graphCommand(pipeline, flags);
    });

  program
    .command('timeline')
    .argument('<run_id>')
    .option('-o, --output <file>', 'the HTML report (default RUN_ID.timeline.html)')
    .option('--open', 'open the report in the desktop browser')
    .option('--console', 'print a text Gantt instead')
    .option('--history <n>', 'earlier runs of the same pipeline in the metric chart (default 20)')
    .option('-c, --config <file>', 'configuration file naming the run-log store and catalog')
    .description('a report of a run: Gantt of steps and attempts, step details, logs, metrics')
    .addHelpText('after', examples('runnable timeline brave-curie-120000-abc123 --open', 'runnable timeline brave-curie-120000-abc123 --console'))
    .action(async (runId: string, flags) => {
      const { timelineCommand } = await import('./timeline.js');
      code = await timelineCommand(runId, flags);
    });

  const runs = program
    .command('runs')
    .description('list, show, compare and delete the runs in the configured run-log store')
    .addHelpText('after', examples('runnable runs list --limit 10', 'runnable runs prune --older-than 30d --keep 20'));
  const configOption = '-c, --config <file>';
  const configHelp = 'configuration file naming the run-log store and catalog (else RUNNABLE_CONFIGURATION_FILE, else runnable-config.yaml)';
  runs
    .command('list')
    .option(configOption, configHelp)
    .option('--json', 'print the runs as a JSON array on stdout')
    .option('--metrics', 'a column per metric the runs recorded')
    .option('--tag <tag>', 'only runs with this tag')
    .option('--since <when>', 'only runs started since an ISO time or a duration back (30m, 12h, 7d)')
    .option('--status <status>', 'only runs with this status (SUCCESS, FAIL, PROCESSING, INTERRUPTED)')
    .option('--limit <n>', 'at most N runs, the newest first (default: all)')
    .description('the runs, newest first: run id, status and tag (--metrics: a column per metric)')
    .addHelpText('after', examples('runnable runs list --limit 10', 'runnable runs list --status FAIL --since 7d --json'))
    .action(async (flags) => {
      const { runsListCommand } = await import('./runs.js');
      code = await runsListCommand(flags);
    });
  runs
    .command('show')
    .argument('<run_id>')
    .option(configOption, configHelp)
    .option('--json', 'print the whole run log as JSON on stdout')
    .option('--status <status>', 'only steps with this status, and the composites holding them')
    .option('--step <text>', 'only steps whose internal name contains the text, and the composites holding them')
    .option('--failed', 'only the failed steps, each with its error and log file, and the composites holding them')
    .option('--all', 'every map and loop iteration (more than 10 are counted by status) and every catalog file')
    .description('one run: its steps, branches, attempts (each with its duration and log file), catalog files, failures and parameters')
    .addHelpText('after', examples('runnable runs show brave-curie-120000-abc123', 'runnable runs show brave-curie-120000-abc123 --failed', 'runnable runs show brave-curie-120000-abc123 --all'))
    .action(async (runId: string, flags) => {
      const { runsShowCommand } = await import('./runs.js');
      code = await runsShowCommand(runId, flags);
    });

  runs
    .command('diff')
    .argument('<run_a>')
    .argument('<run_b>')
    .option(configOption, configHelp)
    .option('--all', 'show unchanged rows too')
    .option('--json', 'print the comparison as JSON on stdout')
    .description('parameters, metrics, catalog hashes, step statuses and durations of two runs side by side')
    .addHelpText('after', examples('runnable runs diff brave-curie-120000-abc123 calm-bohr-120001-def456'))
    .action(async (a: string, b: string, flags) => {
      const { runsDiffCommand } = await import('./runs-diff.js');
      code = await runsDiffCommand(a, b, flags);
    });

  const deleteOptions = (cmd: Command) =>
    cmd
      .option(configOption, configHelp)
      .option('--dry-run', 'print what would be deleted; delete nothing')
      .option('--json', 'print {dry_run, deleted, skipped} as JSON on stdout');
  deleteOptions(runs.command('delete').argument('<run_id...>', 'one or more runs'))
    .description('delete runs: their run logs and catalog files (a run being driven is refused, exit 1)')
    .addHelpText('after', examples('runnable runs delete brave-curie-120000-abc123', 'runnable runs delete brave-curie-120000-abc123 calm-bohr-120001-def456 --dry-run'))
    .action(async (runIds: string[], flags) => {
      const { runsDeleteCommand } = await import('./runs-delete.js');
      code = await runsDeleteCommand(runIds, flags);
    });
  deleteOptions(runs.command('prune'))
    .option('--older-than <when>', 'only runs started before an ISO time or a duration back (12h, 7d, 4w)')
    .option('--status <status>', 'only runs with this status (SUCCESS, FAIL, INTERRUPTED, ...)')
    .option('--keep <n>', 'keep the N newest of those runs, whatever their age')
    .description('delete old runs with their catalog files (runs being driven are skipped with a warning)')
    .addHelpText('after', examples('runnable runs prune --older-than 30d --dry-run', 'runnable runs prune --status FAIL --keep 5'))
    .action(async (flags) => {
      const { runsPruneCommand } = await import('./runs-delete.js');
      code = await runsPruneCommand(flags);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      if (err.code === 'runnable.usage') process.stderr.write(`runnable: ${err.message}`);
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
  return code;
}
