/**
 * The two small expression languages of an Argo DAG task, for the test interpreter:
 * `depends` (task results joined with && || ! and parentheses: `A.Succeeded || (B.Failed && !C.Skipped)`)
 * and `when` after substitution (`true == true`, `'a' != 'b'`, joined with && ||).
 * Anything else is an error: the interpreter must not accept what Argo would reject.
 */
export type TaskResult = 'Succeeded' | 'Failed' | 'Errored' | 'Skipped' | 'Omitted' | 'Daemoned' | 'AnySucceeded' | 'AllFailed';
const RESULTS = new Set<string>(['Succeeded', 'Failed', 'Errored', 'Skipped', 'Omitted', 'Daemoned', 'AnySucceeded', 'AllFailed']);

/** The task names a `depends` expression refers to. */
export function dependsOn(expr: string): string[] {
  return [...new Set(tokens(expr).filter((t) => t.includes('.')).map((t) => t.slice(0, t.lastIndexOf('.'))))];
}

/** Evaluates `depends`; `result(task, what)` says whether the task ended so. */
export function evalDepends(expr: string, result: (task: string, what: TaskResult) => boolean): boolean {
  const toks = tokens(expr);
  let i = 0;
  const or = (): boolean => {
    let v = and();
    while (toks[i] === '||') {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  const and = (): boolean => {
    let v = unary();
    while (toks[i] === '&&') {
      i++;
      const r = unary();
      v = v && r;
    }
    return v;
  };
  const unary = (): boolean => {
    const t = toks[i++];
    if (t === '!') return !unary();
    if (t === '(') {
      const v = or();
      if (toks[i++] !== ')') throw new Error(`depends '${expr}': missing )`);
      return v;
    }
    if (!t || !t.includes('.')) throw new Error(`depends '${expr}': unexpected '${t ?? 'end'}'`);
    const dot = t.lastIndexOf('.');
    const what = t.slice(dot + 1);
    if (!RESULTS.has(what)) throw new Error(`depends '${expr}': unknown result '${what}'`);
    return result(t.slice(0, dot), what as TaskResult);
  };
  const v = or();
  if (i !== toks.length) throw new Error(`depends '${expr}': unexpected '${toks[i]}'`);
  return v;
}

function tokens(expr: string): string[] {
  const out = expr.match(/\|\||&&|!|\(|\)|[A-Za-z0-9_.-]+|\S/g) ?? [];
  for (const t of out) if (!/^(\|\||&&|!|\(|\)|[A-Za-z0-9_-]+\.[A-Za-z]+)$/.test(t)) throw new Error(`depends '${expr}': bad token '${t}'`);
  return out;
}

/** Evaluates a substituted `when`: comparisons of literals (`==`, `!=`) joined with && and ||. */
export function evalWhen(expr: string): boolean {
  return expr.split('||').some((alt) =>
    alt.split('&&').every((cmp) => {
      const m = /^\s*(.+?)\s*(==|!=)\s*(.+?)\s*$/.exec(cmp);
      if (!m) throw new Error(`when '${expr}': not a comparison: '${cmp}'`);
      const eq = literal(m[1]!) === literal(m[3]!);
      return m[2] === '==' ? eq : !eq;
    }),
  );
}

function literal(text: string): string {
  const m = /^'(.*)'$|^"(.*)"$/.exec(text);
  return m ? (m[1] ?? m[2]!) : text;
}
