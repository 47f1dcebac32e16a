/**
 * Typed access to one run's records, as the engine uses them. When this process is the only
 * writer of the run (`exclusive`), records are cached as parsed objects: the engine treats
 * every record object as immutable and writes new ones, so the cache is never stale.
 */
import type {
  BranchRecordData,
  JobLog,
  NewRecord,
  Parameters,
  RecordKind,
  RunHeader,
  RunLog,
  RunLogStore,
  StepRecordData,
} from './types.js';
import { assemble } from './assemble.js';

export class RunLogAccess {
  private readonly cache = new Map<string, unknown>();

  constructor(
    readonly store: RunLogStore,
    readonly runId: string,
    readonly exclusive: boolean,
  ) {}

  private async read<T>(kind: RecordKind, key: string): Promise<T | undefined> {
    const id = `${kind}\0${key}`;
    if (this.exclusive && this.cache.has(id)) return this.cache.get(id) as T | undefined;
    const rec = await this.store.get(this.runId, kind, key);
    const data = rec?.data as T | undefined;
    if (this.exclusive) this.cache.set(id, data);
    return data;
  }

  private async write(record: NewRecord): Promise<void> {
    if (this.exclusive) this.cache.set(`${record.kind}\0${record.key}`, record.data);
    await this.store.put(this.runId, record);
  }

  header(): Promise<RunHeader | undefined> {
    return this.read<RunHeader>('run', '');
  }
  putHeader(data: RunHeader): Promise<void> {
    return this.write({ kind: 'run', key: '', parent: '', data });
  }

  rootParams(): Promise<Parameters> {
    return this.read<Parameters>('params', '').then((p) => p ?? {});
  }
  putRootParams(data: Parameters): Promise<void> {
    return this.write({ kind: 'params', key: '', parent: '', data });
  }

  step(internalName: string): Promise<StepRecordData | undefined> {
    return this.read<StepRecordData>('step', internalName);
  }
  /** `parent`: resolved internal name of the branch holding the step, '' at the top level */
  putStep(parent: string, data: StepRecordData): Promise<void> {
    return this.write({ kind: 'step', key: data.internal_name, parent, data });
  }

  branch(internalName: string): Promise<BranchRecordData | undefined> {
    return this.read<BranchRecordData>('branch', internalName);
  }
  /** `parent`: resolved internal name of the composite step holding the branch */
  putBranch(parent: string, data: BranchRecordData): Promise<void> {
    return this.write({ kind: 'branch', key: data.internal_name, parent, data });
  }

  job(): Promise<JobLog | undefined> {
    return this.read<JobLog>('job', '');
  }
  putJob(data: JobLog): Promise<void> {
    return this.write({ kind: 'job', key: '', parent: '', data });
  }

  async assemble(): Promise<RunLog> {
    return assemble(await this.store.list(this.runId));
  }

  flush(): Promise<void> {
    return this.store.flush(this.runId);
  }
}
