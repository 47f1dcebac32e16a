/**
 * Strict validation of Argo objects against the official Argo Workflows JSON Schema
 * (schemas/vendor/, see its README for provenance), as `argo lint` checks them: unknown fields
 * are errors. The schema is loaded and compiled once per process, on first use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { installed } from '../../util/package-root.js';

export const ARGO_SCHEMA_FILE = installed('schemas/vendor/argo-workflows-v4.1.2.schema.json');
const DEFS = 'io.argoproj.workflow.v1alpha1';
/** Kubernetes' annotations in the schema: not validation keywords */
const K8S_KEYWORDS = ['group-version-kind', 'list-map-keys', 'list-type', 'map-type', 'patch-merge-key', 'patch-strategy', 'unions'].map((k) => `x-kubernetes-${k}`);
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** The definitions this project validates against, by short name. */
export type ArgoDefinition = 'Workflow' | 'CronWorkflow' | 'WorkflowSpec' | 'RetryStrategy' | 'Toleration' | 'ResourceRequirements' | 'ObjectMeta' | 'PodGC';
const FULL: Record<ArgoDefinition, string> = {
  Workflow: `${DEFS}.Workflow`,
  CronWorkflow: `${DEFS}.CronWorkflow`,
  WorkflowSpec: `${DEFS}.WorkflowSpec`,
  RetryStrategy: `${DEFS}.RetryStrategy`,
  PodGC: `${DEFS}.PodGC`,
  Toleration: 'io.k8s.api.core.v1.Toleration',
  ResourceRequirements: 'io.k8s.api.core.v1.ResourceRequirements',
  ObjectMeta: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
};

type Schema = { definitions: Record<string, Record<string, unknown>> } & Record<string, unknown>;

/** The schema as `argo lint` reads it: closed objects, IntOrString an integer or a string. */
export function strictArgoSchema(): Schema {
  const schema = JSON.parse(readFileSync(ARGO_SCHEMA_FILE, 'utf8')) as Schema;
  for (const def of Object.values(schema.definitions)) {
    if (def.properties && !('additionalProperties' in def)) def.additionalProperties = false;
  }
  schema.definitions[INT_OR_STRING] = { type: ['string', 'integer'] };
  return schema;
}

let schema: Schema | undefined;
const loaded = (): Schema => (schema ??= strictArgoSchema());

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function validator(def: string): ValidateFunction {
  let v = compiled.get(def);
  if (v) return v;
  if (!ajv) {
    // loaded on first use: Ajv takes a quarter of a second to load, which no other command should pay
    const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    ajv = new Ajv({
      strict: true,
      allowUnionTypes: true,
      allErrors: false,
      // formats the schema names; their values are checked by Kubernetes, not here
      formats: { byte: true, uint64: true, int32: true, int64: true, 'date-time': true },
    });
    ajv.addVocabulary(K8S_KEYWORDS);
    const { oneOf: _o, type: _t, ...definitions } = loaded();
    ajv.addSchema(definitions, 'argo');
  }
  const full = FULL[def as ArgoDefinition] ?? def;
  v = ajv.getSchema(`argo#/definitions/${full}`);
  if (!v) throw new Error(`no definition ${full} in ${ARGO_SCHEMA_FILE}`);
  compiled.set(def, v);
  return v;
}

/**
 * The first problem with `value` as an Argo `def` (a short name above, or a definition's full
 * name), as `path: message`; undefined when valid.
 */
export function argoProblem(def: ArgoDefinition | string, value: unknown): string | undefined {
  const v = validator(def);
  if (v(value)) return undefined;
  return describe(v.errors?.[0]);
}

function describe(e: ErrorObject | undefined): string {
  if (!e) return 'invalid';
  const at = e.instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (e.keyword === 'additionalProperties') at.push(String((e.params as { additionalProperty: string }).additionalProperty));
  const where = at.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');
  const what = e.keyword === 'additionalProperties' ? 'unknown field' : e.message ?? e.keyword;
  return `${where || '(top)'}: ${what}`;
}

/** The property names a definition lists (by its full name). */
export function argoProperties(definition: string): string[] {
  return Object.keys((loaded().definitions[definition]?.properties ?? {}) as object);
}
