/** The `runnable` command line (SPEC §1): thin commands over the library. */
import { Argument, Command, CommanderError } from 'commander';
import { EXIT_BAD_INPUT } from './_errors.js';
import { packageVersion } from '../util/package-root.js';

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('runnable')
    .description('Run a pipeline of plain TypeScript, shell, notebook or Python steps, anywhere.')
    .version(packageVersion(), '-V, --version', 'print the version of runnable-ts')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

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
    .action(async (pipeline: string | undefined, flags) => {
      const file = pipeline ?? flags.file;
      if (!file) throw new CommanderError(EXIT_BAD_INPUT, 'runnable.usage', 'error: missing pipeline file\n');
      const { executeCommand } = await import('./execute.js');
      code = await executeCommand(file, flags);
    });

  runOptions(program.command('execute-job').argument('<job>', "job YAML (top-level 'job:') or TS/JS module default-exporting a job"))
    .description('run a single-task job')
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
      .command('execute-single-node')
      .argument('<run_id>', 'an existing run')
      .argument('<pipeline>', 'the pipeline file the run was started from')
      .argument('<step>', 'internal name of the step, e.g. map_step.map_variable_placeholder.inner'),
  )
    .description('run one step of an existing run (what containers, Slurm jobs and Argo pods call)')
    .action(async (runId: string, pipeline: string, step: string, flags) => {
      const { executeSingleNodeCommand } = await import('./execute-single-node.js');
      code = await executeSingleNodeCommand(runId, pipeline, step, flags);
    });

  stepOptions(
    program
      .command('fan')
      .argument('<run_id>', 'an existing run')
      .argument('<step>', 'internal name of a parallel, map, conditional or loop step')
      .argument('<pipeline>', 'the pipeline file the run was started from')
      .addArgument(new Argument('<direction>', 'in: open the step and its branches; out: close it from their outcome').choices(['in', 'out'])),
  )
    .description('open (in) or close (out) a composite step of an existing run')
    .action(async (runId: string, step: string, pipeline: string, direction: 'in' | 'out', flags) => {
      const { fanCommand } = await import('./fan.js');
      code = await fanCommand(runId, step, pipeline, direction, flags);
    });

  program
    .command('validate')
    .argument('<pipeline>')
    .description('check a pipeline without running it')
    .action(async (pipeline: string) => {
      const { validateCommand } = await import('./validate.js');
      code = await validateCommand(pipeline);
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

  const runs = program.command('runs').description('runs in the configured run-log store');
  runs
    .command('list')
    .option('-c, --config <file>')
    .option('--json')
    .action(async (flags) => {
      const { runsListCommand } = await import('./runs.js');
      code = await runsListCommand(flags);
    });
  runs
    .command('show')
    .argument('<run_id>')
    .option('-c, --config <file>')
    .option('--json')
    .action(async (runId: string, flags) => {
      const { runsShowCommand } = await import('./runs.js');
      code = await runsShowCommand(runId, flags);
    });

  runs
    .command('diff')
    .argument('<run_a>')
    .argument('<run_b>')
    .option('-c, --config <file>')
    .option('--all', 'show unchanged rows too')
    .option('--json')
    .description('parameters, metrics, catalog hashes, step statuses and durations of two runs side by side')
    .action(async (a: string, b: string, flags) => {
      const { runsDiffCommand } = await import('./runs-diff.js');
      code = await runsDiffCommand(a, b, flags);
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
