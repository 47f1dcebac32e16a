import { describe, expect, it } from 'vitest';
import { canonicalJson, dagHash } from '../../src/graph/hash.js';
import type { Graph } from '../../src/graph/model.js';
import { parsePipeline } from '../../src/yaml/load-pipeline.js';

const block = `
# a comment
dag:
  description: first wording
  start_at: a
  steps:
    a:
      type: task
      command: src/f.ts:a
      returns: [x]
      next: b
    b:
      type: stub
      next: success
`;
const flow = `dag: {start_at: a, description: other wording, steps: {b: {next: success, type: stub}, a: {next: b, returns: [{name: x, kind: json}], command: src/f.ts:a, command_type: typescript, type: task}}}`;

describe('dagHash', () => {
  it('is a sha256 hex digest', () => {
    expect(dagHash(parsePipeline(block, 'p.yaml').graph)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores formatting, key order, comments, defaults spelt out and descriptions', () => {
    expect(dagHash(parsePipeline(flow, 'q.yaml').graph)).toBe(dagHash(parsePipeline(block, 'p.yaml').graph));
  });

  it('changes when the structure changes', () => {
    const base = dagHash(parsePipeline(block, 'p.yaml').graph);
    expect(dagHash(parsePipeline(block.replace('returns: [x]', 'returns: [y]'), 'p.yaml').graph)).not.toBe(base);
    expect(dagHash(parsePipeline(block.replace('next: success', 'next: fail'), 'p.yaml').graph)).not.toBe(base);
    expect(dagHash(parsePipeline(block.replace('command: src/f.ts:a', 'command: src/f.ts:b'), 'p.yaml').graph)).not.toBe(base);
  });

  it('matches an SDK-built twin that spells empty things differently', () => {
    const twin: Graph = {
      internalName: '',
      startAt: 'a',
      nodes: {
        b: { type: 'stub', name: 'b', internalName: 'b', next: 'success', overrides: {} },
        a: {
          type: 'task',
          name: 'a',
          internalName: 'a',
          next: 'b',
          onFailure: undefined,
          overrides: {},
          commandType: 'typescript',
          command: 'src/f.ts:a',
          returns: [{ kind: 'json', name: 'x' }],
          maxAttempts: 1,
          secrets: [],
          options: {},
        },
        fail: { type: 'fail', name: 'fail', internalName: 'fail', overrides: {} },
        success: { type: 'success', name: 'success', internalName: 'success', overrides: {} },
      },
    };
    expect(dagHash(twin)).toBe(dagHash(parsePipeline(block, 'p.yaml').graph));
  });

  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined, description: 'x' } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });
});
