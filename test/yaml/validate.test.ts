import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import type { Graph, PipelineNode } from '../../src/graph/model.js';
import { validateGraph } from '../../src/graph/validate.js';

const stub = (name: string, next?: string, onFailure?: string): PipelineNode => ({
  type: 'stub',
  name,
  internalName: name,
  next,
  onFailure,
  overrides: {},
});
const ends = {
  success: { type: 'success', name: 'success', internalName: 'success', overrides: {} },
  fail: { type: 'fail', name: 'fail', internalName: 'fail', overrides: {} },
} as const;
const graph = (startAt: string, ...nodes: PipelineNode[]): Graph => ({
  internalName: '',
  startAt,
  nodes: { ...Object.fromEntries(nodes.map((n) => [n.name, n])), ...ends },
});
const err = (g: Graph): RunnableError => {
  try {
    validateGraph(g);
  } catch (e) {
    return e as RunnableError;
  }
  throw new Error('expected an error');
};

describe('validateGraph (model-level, as used for SDK pipelines)', () => {
  it('accepts a valid graph', () => {
    expect(() => validateGraph(graph('a', stub('a', 'b', 'c'), stub('b', 'success'), stub('c', 'fail')))).not.toThrow();
  });

  it('rejects a step without next', () => {
    const e = err(graph('a', stub('a')));
    expect([e.code, e.where.step, e.where.field]).toEqual(['E_GRAPH', 'a', 'next']);
  });

  it('names the known steps for an unknown target', () => {
    expect(err(graph('a', stub('a', 'x'))).message).toBe("unknown step 'x' (known: a, success, fail)");
  });

  it('rejects an unknown start_at', () => {
    expect(err(graph('zz', stub('a', 'success'))).where).toEqual({ step: undefined, field: 'start_at' });
  });

  it('reports the cycle a run would hit', () => {
    const e = err(graph('a', stub('a', 'b'), stub('b', 'c'), stub('c', 'b')));
    expect(e.message).toContain('cycle: b -> c -> b');
    expect(e.where).toEqual({ step: 'c', field: 'next' });
  });

  it('rejects unreachable steps but not the implicit terminals', () => {
    expect(() => validateGraph(graph('a', stub('a', 'success')))).not.toThrow();
    expect(err(graph('a', stub('a', 'success'), stub('b', 'success'))).where.step).toBe('b');
  });

  it('checks branches recursively', () => {
    const inner: Graph = { internalName: 'p.x', startAt: 'q', nodes: { ...ends } };
    const g = graph('p', { type: 'parallel', name: 'p', internalName: 'p', next: 'success', overrides: {}, branches: { x: inner } });
    expect(err(g).where).toEqual({ step: 'p.x', field: 'start_at' });
  });
});
