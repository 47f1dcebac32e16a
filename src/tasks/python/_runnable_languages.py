"""
The kernel languages runnable_notebook.py can talk to: how to write the injected parameters
cell and the snippet that reads the returns back, in Python (ipykernel) and TypeScript (Deno).

User values never enter code as text: they are rendered as literals of the kernel's language
from JSON values (Python: repr of str/int/bool/None, which is exact; TypeScript: JSON, which
is a valid expression), and names must be identifiers of the language.
"""
import json
import keyword
import math
import re

def py_literal(value):
    """A Python literal for a JSON value: repr of str/int/bool/None is exact and safe."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(str(k))}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def ts_literal(value):
    """JSON is a JavaScript/TypeScript expression (ES2019 allows U+2028/9 in strings); ASCII-only for safety."""
    return json.dumps(value, ensure_ascii=True, allow_nan=False)


TS_RESERVED = set(
    "break case catch class const continue debugger default delete do else enum export extends false finally for "
    "function if import in instanceof new null return super switch this throw true try typeof var void while with "
    "yield let static implements interface package private protected public await arguments eval".split()
)
TS_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def ts_declarations(source):
    """name -> 'let'|'const'|'var' for the names the parameters cell declares (plain declarations)."""
    found = {}
    for m in re.finditer(r"\b(let|const|var)\s+", source):
        kind, i, depth = m.group(1), m.end(), 0
        expect_name = True
        while i < len(source):
            ch = source[i]
            if expect_name and depth == 0:
                name = re.match(r"[A-Za-z_$][A-Za-z0-9_$]*", source[i:])
                if not name:
                    break
                found.setdefault(name.group(0), kind)
                i += len(name.group(0))
                expect_name = False
                continue
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
            elif ch in "'\"`":
                end = source.find(ch, i + 1)
                i = len(source) if end < 0 else end
            elif depth == 0 and ch == ",":
                expect_name = True
                i += 1
                while i < len(source) and source[i].isspace():
                    i += 1
                continue
            elif depth == 0 and ch in ";\n":
                break
            i += 1
    return found


class Python:
    name = "python"

    @staticmethod
    def flush_code(marker):
        # ipykernel sends a cell's output before it reports the cell done, but a kernel is free
        # not to (see TypeScript): the marker costs one round trip per cell and settles it
        return f'print({py_literal(marker)}, flush=True); print({py_literal(marker)}, file=__import__("sys").stderr, flush=True)'

    @staticmethod
    def valid(name):
        return name.isidentifier() and not keyword.iskeyword(name)

    @staticmethod
    def parameters_cell(params, parameters_source):
        lines = ["# Parameters injected by runnable"]
        lines += [f"{name} = {py_literal(value)}" for name, value in params.items()]
        return "\n".join(lines) + "\n"

    @staticmethod
    def returns_code(specs, out_path):
        return PY_RETURNS.replace("__SPECS__", py_literal(specs)).replace("__OUT__", py_literal(out_path))


class TypeScript:
    name = "typescript"

    @staticmethod
    def flush_code(marker):
        # Deno's kernel forwards the process's stdout and stderr pipes as stream messages on its
        # own schedule: under load a cell's output arrives after the kernel said it is idle (and
        # after the next cell began). A marker written to each pipe after the cell comes out
        # after everything the cell wrote.
        return f"console.log({ts_literal(marker)}); console.error({ts_literal(marker)});"

    @staticmethod
    def valid(name):
        return bool(TS_IDENT.match(name)) and name not in TS_RESERVED

    @staticmethod
    def parameters_cell(params, parameters_source):
        # Deno's REPL mode lets `let`/`const` be declared again in a later cell, but not as
        # another kind, and a `var` only takes an assignment: match the parameters cell.
        declared = ts_declarations(parameters_source)
        lines = ["// Parameters injected by runnable"]
        for name, value in params.items():
            kind = declared.get(name, "let")
            # `void`: an assignment's value would be shown as the cell's result
            lines.append(f"void ({name} = {ts_literal(value)});" if kind == "var" else f"{kind} {name} = {ts_literal(value)};")
        return "\n".join(lines) + "\n"

    @staticmethod
    def returns_code(specs, out_path):
        entries = []
        for name, kind, path in specs:
            if kind == "object":
                entries.append(f"  __out[{ts_literal(name)}] = __get(() => {name}, {ts_literal(path)});")
            else:
                entries.append(f"  __out[{ts_literal(name)}] = __get(() => {name});")
        return TS_RETURNS.replace("__ENTRIES__", "\n".join(entries)).replace("__OUT__", ts_literal(out_path))


LANGUAGES = {"python": Python, "typescript": TypeScript, "javascript": TypeScript}

# Runs in the kernel after the last cell; reads the returns from the user's namespace.
PY_RETURNS = r'''
def _runnable_returns(specs, out_path):
    import json, pickle
    def default(v):
        if any(c.__name__ == "BaseModel" and c.__module__.startswith("pydantic") for c in type(v).__mro__):
            return v.model_dump(mode="json", by_alias=True) if hasattr(v, "model_dump") else json.loads(v.json(by_alias=True))
        if (type(v).__module__ or "").startswith("numpy"):
            return v.tolist() if hasattr(v, "tolist") else v.item()
        raise TypeError(type(v).__module__ + "." + type(v).__qualname__ + " is not JSON serialisable")
    ns, result = globals(), {}
    for name, kind, path in specs:
        if name not in ns:
            result[name] = {"missing": True}
        elif kind == "object":
            try:
                with open(path, "wb") as f:
                    pickle.dump(ns[name], f)
                result[name] = {"pickle": path}
            except Exception as e:
                result[name] = {"error": "cannot be pickled: %s: %s" % (type(e).__name__, e)}
        else:
            try:
                result[name] = {"value": json.loads(json.dumps(ns[name], default=default, allow_nan=False))}
            except (TypeError, ValueError) as e:
                result[name] = {"error": "is not a JSON value (%s); declare it with kind: object" % e}
    with open(out_path, "w") as f:
        json.dump(result, f)
_runnable_returns(__SPECS__, __OUT__)
del _runnable_returns
'''

TS_RETURNS = r'''
await (async () => {
  const __out: Record<string, unknown> = {};
  const __v8 = await import("node:v8");
  const __get = (read: () => unknown, path?: string) => {
    let v: unknown;
    try { v = read(); } catch (e) { return e instanceof ReferenceError ? { missing: true } : { error: String(e) }; }
    if (v === undefined) return { missing: true };
    try {
      if (path !== undefined) { Deno.writeFileSync(path, __v8.serialize(v)); return { v8: path }; }
      const p = v === null || typeof v !== "object" ? null : Object.getPrototypeOf(v);
      if (p !== null && p !== Object.prototype && p !== Array.prototype) throw new Error(`${p.constructor?.name ?? "object"} is not a JSON value; declare it with kind: object`);
      const text = JSON.stringify(v);
      if (text === undefined) throw new Error(`${typeof v} is not a JSON value`);
      return { value: JSON.parse(text) };
    } catch (e) { return { error: String(e instanceof Error ? e.message : e) }; }
  };
__ENTRIES__
  Deno.writeTextFileSync(__OUT__, JSON.stringify(__out));
})();
'''


