/** Naming rules and the closed vocabularies of the pipeline model, shared by the YAML loader and the SDK. */
import { posix, win32 } from 'node:path';
import type { CommandType, ParameterKind } from './model.js';

/** parameter names, `returns`, `iterate_as`, `index_as`: identifiers every task language can bind */
export const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** step names and branch keys become segments of dot paths */
export const NAME_RE = /^[^.]+$/;

export const STEP_TYPES = ['task', 'stub', 'success', 'fail', 'parallel', 'map', 'conditional', 'loop'] as const;
export const COMMAND_TYPES = ['typescript', 'shell', 'notebook', 'python'] as const satisfies readonly CommandType[];
export const PARAMETER_KINDS = ['json', 'object', 'metric'] as const satisfies readonly ParameterKind[];

/**
 * Environment variables that change how a program runs rather than what it computes: the shell's
 * start-up files and options (BASH_ENV, ENV, SHELLOPTS, PS4, IFS, ...), where programs and
 * libraries are found (PATH, LD_PRELOAD, NODE_OPTIONS, PYTHONSTARTUP, ...), and runnable's own
 * settings. A shell task gets every parameter as an env var, so a parameter with one of these
 * names would run code in every later step: such names are refused wherever a parameter is named
 * (parameters file, RUNNABLE_PRM_*, `returns`, `iterate_as`, `index_as`), and a shell task never
 * exports one (README "Parameter names").
 */
export const ENV_CONTROL_NAMES: readonly string[] = [
  // bash / sh start-up and behaviour
  'BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'PS0', 'PS1', 'PS2', 'PS3', 'PS4', 'PROMPT_COMMAND', 'IFS', 'CDPATH',
  'GLOBIGNORE', 'BASH_XTRACEFD', 'BASH_LOADABLES_PATH', 'EXECIGNORE', 'FIGNORE', 'HISTFILE', 'INPUTRC', 'SHELL', 'HOME',
  'TMPDIR', 'POSIXLY_CORRECT', 'TERMINFO', 'LOCPATH', 'NLSPATH', 'GCONV_PATH', 'HOSTALIASES', 'RESOLV_HOST_CONF',
  // where programs and libraries are found
  'PATH', 'MANPATH', 'NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PERL5DB',
  'RUBYOPT', 'RUBYLIB', 'GEM_HOME', 'GEM_PATH', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH',
  'R_PROFILE', 'R_PROFILE_USER', 'R_ENVIRON', 'R_ENVIRON_USER', 'R_LIBS', 'R_LIBS_USER', 'LUA_INIT', 'LUA_PATH',
  'LUA_CPATH', 'TCLLIBPATH', 'IPYTHONDIR', 'JUPYTER_PATH', 'JUPYTER_CONFIG_DIR', 'JUPYTER_DATA_DIR', 'OPENSSL_CONF',
  'OPENSSL_ENGINES', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'EDITOR', 'VISUAL',
  'PAGER', 'BROWSER', 'LESSOPEN', 'LESSCLOSE', 'MAILRC', 'XDG_CONFIG_HOME', 'XDG_CONFIG_DIRS', 'XDG_DATA_DIRS',
  'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY',
];
/** Whole families: the dynamic linker's (LD_AUDIT, LD_LIBRARY_PATH, ...), Python's, git's, bash's exported functions, runnable's. */
export const ENV_CONTROL_PREFIXES: readonly string[] = ['LD_', 'DYLD_', 'PYTHON', 'GIT_', 'BASH_FUNC_', 'MALLOC_', 'GLIBC_', 'NODE_', 'NPM_CONFIG_', 'npm_config_', 'CONDA_', 'VIRTUAL_ENV', 'RUNNABLE_', 'SLURM_', 'SBATCH_', 'KUBECONFIG', 'AWS_', 'DOCKER_', 'CONTAINER_', 'PODMAN_'];

const controlNames = new Set(ENV_CONTROL_NAMES);

/** Whether an env var of this name would change how a step's programs run (see ENV_CONTROL_NAMES). */
export function isEnvControlName(name: string): boolean {
  return controlNames.has(name) || ENV_CONTROL_PREFIXES.some((p) => name.startsWith(p));
}

/** Why `name` cannot name a parameter (undefined when it can): the identifier rule, then the env rule. */
export function parameterNameProblem(name: string): string | undefined {
  if (!IDENTIFIER_RE.test(name)) return 'not a valid name (letters, digits and _, not starting with a digit)';
  if (name === '__proto__') return 'the name is reserved';
  if (isEnvControlName(name)) return `'${name}' is an environment variable that changes how programs run (shell tasks get parameters as env vars); choose another name`;
  return undefined;
}

/**
 * Why a catalog `get`/`put` glob cannot be used (undefined when it can), checked when a pipeline
 * is built so that nothing runs (SPEC §4: paths are confined). `root` names what it is relative
 * to in the message. After normalising (`a/../b` → `b`), a `..` can remain only where it climbs
 * out: at the start, or inside a `{..,x}` brace or `@(..)` extglob alternative.
 */
export function catalogPatternProblem(pattern: string, root: string): string | undefined {
  if (!pattern.trim()) return 'empty pattern';
  if (posix.isAbsolute(pattern) || win32.isAbsolute(pattern)) return `pattern '${pattern}' is an absolute path; catalog paths are relative to ${root}`;
  const normal = posix.normalize(pattern.replace(/\\(.)/g, '$1')); // `\.\.` matches a literal `..`
  if (normal === '..' || normal.startsWith('../') || /(^|[/{,(|])\.\.($|[/},)|])/.test(normal)) return `pattern '${pattern}' leaves ${root}`;
  return undefined;
}

export const CATALOG_GET_ROOT = "the run's catalog folder";
export const CATALOG_PUT_ROOT = 'the working directory';
