/**
 * The runnable config the pods run with, shipped in the manifest (a raw input artifact of each
 * container template): the user's sections as written (`${VAR}` unexpanded, so a credential
 * taken from the environment is expanded in the pod and never lands in the manifest), with the
 * folders of the run-log store and catalog that live on a local disk moved onto the shared
 * PersistentVolumeClaim (`pvc_for_runnable`, mounted at /mnt/runnable). Stores that need no
 * shared disk (object storage) are left as they are, and then no claim is needed. A `telemetry`
 * section is carried as written: the pods send their spans where it says (the OTLP environment
 * of the process that compiles is not carried: it is this machine's, not the cluster's).
 */
import { stringify } from 'yaml';
import type { CatalogStore } from '../../catalog/types.js';
import type { LoadedConfig } from '../../config/load-config.js';
import { RunnableError } from '../../errors.js';
import type { RunLogStore } from '../../runlog/types.js';
import { PVC_MOUNT } from './templates.js';

/** The folder a store or catalog keeps its files in on this machine's disk, if it does. */
export function diskFolder(plugin: RunLogStore | CatalogStore): string | undefined {
  const p = plugin as { logFolder?: unknown; catalogLocation?: unknown };
  const folder = p.logFolder ?? p.catalogLocation;
  return typeof folder === 'string' ? folder : undefined;
}

/** Which config key of a section names its folder (SPEC §6). */
const FOLDER_KEYS = { 'run-log-store': ['log_folder', `${PVC_MOUNT}/run-log-store`], catalog: ['catalog_location', `${PVC_MOUNT}/catalog`] } as const;

/** The sections the pods need; `pipeline-executor` says `argo` with the image, for the run log's `run_config`. */
const POD_SECTIONS = ['run-log-store', 'catalog', 'secrets', 'step-cache'] as const;

export function podConfig(config: LoadedConfig, plugins: { 'run-log-store': RunLogStore; catalog: CatalogStore }, image: string, pvc: string | undefined): string {
  const sections: Record<string, unknown> = { 'pipeline-executor': { type: 'argo', config: { defaults: { image } } } };
  for (const name of POD_SECTIONS) {
    const written = config.written[name] as { type?: string; config?: Record<string, unknown> } | undefined;
    const section = { type: config.sections[name].type, config: { ...(written?.config ?? {}) } };
    if (name === 'run-log-store' || name === 'catalog') {
      if (diskFolder(plugins[name]) !== undefined) {
        if (!pvc) {
          throw new RunnableError(
            'E_CONFIG',
            `the '${section.type}' ${name === 'catalog' ? 'catalog' : 'run-log store'} keeps its files on disk, which the pods must share: name a PersistentVolumeClaim in pvc_for_runnable (or use an object-storage ${name === 'catalog' ? 'catalog' : 'store'})`,
            { file: config.file, field: 'pipeline-executor.config.pvc_for_runnable' },
          );
        }
        const [key, folder] = FOLDER_KEYS[name];
        section.config[key] = folder;
      }
    }
    if (written || name === 'run-log-store' || name === 'catalog') sections[name] = section;
  }
  if (config.written.telemetry !== undefined) sections.telemetry = config.written.telemetry;
  return stringify(sections, { lineWidth: 0 });
}
