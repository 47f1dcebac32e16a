/**
 * Names in the manifest: Kubernetes/Argo rules (lowercase letters, digits and '-', starting with
 * a letter, at most 63 characters, so a template name also fits in a pod name) and unique where
 * they must be (templates in the workflow, tasks in their DAG). Deterministic: the same pipeline
 * always gives the same names, so a manifest can be diffed and reviewed.
 */
import { createHash } from 'node:crypto';
import { LOOP_PLACEHOLDER, MAP_PLACEHOLDER } from '../../graph/names.js';

const MAX = 63;

/** `map_state.map_variable_placeholder.Inner Step` → `map-state-inner-step`. */
export function k8sName(text: string, max = MAX): string {
  const words = text
    .split('.')
    .filter((s) => s !== MAP_PLACEHOLDER && s !== LOOP_PLACEHOLDER)
    .join('-');
  let name = words
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (!/^[a-z]/.test(name)) name = `s-${name}`.replace(/-$/, '');
  if (name.length > max) name = `${name.slice(0, max - 7).replace(/-$/, '')}-${shortHash(text)}`;
  return name;
}

/** Hands out names unique in one scope: a clash gets `-2`, `-3`... (within the length limit). */
export class NameScope {
  private readonly used = new Set<string>();

  take(text: string, max = MAX): string {
    const base = k8sName(text, max);
    let name = base;
    for (let n = 2; this.used.has(name); n++) {
      const suffix = `-${n}`;
      name = `${base.slice(0, max - suffix.length).replace(/-$/, '')}${suffix}`;
    }
    this.used.add(name);
    return name;
  }
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}
