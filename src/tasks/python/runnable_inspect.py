"""Checks python tasks' commands before a run, without running any of the user's code.

Usage: python runnable_inspect.py '["pkg.module.function", ...]', in the run's working directory.
Prints one JSON line: a list, one answer per command, in order:
  {"problem": "...", "environmental": bool}   the step will fail (environmental: the answer may differ
                                               under another Python or machine, e.g. a container's)
  {"requires": [...]}                          the function is found and takes these parameters with no default
  {}                                           found, or cannot be told without importing

A module is found as `import` would find it (`importlib.util.find_spec`, each parent package
given as a module object that is not executed), so no package's `__init__` runs. The function is
looked for in the module's source (`ast`): a top-level def, class, assignment or import of that
name. A module that may create names at import time (`from x import *`, a module `__getattr__`,
`globals()`, `exec`, `setattr`) is given the benefit of the doubt.
"""

import ast
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# As the shim: the user's modules are found from the working directory, never from our folder.
if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
    del sys.path[0]
sys.path.insert(0, os.getcwd())

DYNAMIC_CALLS = {"globals", "exec", "setattr", "vars"}


def find_spec(module_name):
    """(spec, None) or (None, why), running no package's `__init__`."""
    if module_name in sys.modules:  # os.path and the like
        return sys.modules[module_name].__spec__, None
    parts = module_name.split(".")
    for i in range(1, len(parts) + 1):
        name = ".".join(parts[:i])
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError) as e:
            return None, f"cannot find module '{name}': {e}"
        if spec is None:
            return None, f"no module named '{name}'"
        if i == len(parts):
            return spec, None
        if spec.submodule_search_locations is None:
            return None, f"'{name}' is a module, not a package, so it has no '{parts[i]}'"
        if name not in sys.modules:
            if spec.loader is not None and not (spec.origin or "").endswith(".py"):
                return None, None  # a compiled package: creating its module would run its code
            # The package's module object, not executed: find_spec then looks for the next part
            # on its __path__ instead of importing it.
            sys.modules[name] = importlib.util.module_from_spec(spec)
    return None, None


def top_level(body):
    """The module's top-level statements, those inside if/try/with blocks included."""
    for node in body:
        nested = [getattr(node, f, None) for f in ("body", "orelse", "finalbody")]
        if isinstance(node, (ast.If, ast.Try, ast.With)) or type(node).__name__ == "TryStar":
            for block in nested:
                yield from top_level(block or [])
            for handler in getattr(node, "handlers", []):
                yield from top_level(handler.body)
        else:
            yield node


def bound_names(target):
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from bound_names(elt)
    elif isinstance(target, ast.Starred):
        yield from bound_names(target.value)


def definitions(tree):
    """name -> its defining statement, and whether the module may make names dynamically."""
    found, dynamic = {}, False
    for node in top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = node
            dynamic = dynamic or node.name == "__getattr__"
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for name in bound_names(target):
                    found[name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    dynamic = True
                else:
                    found[alias.asname or alias.name.split(".")[0]] = node
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in DYNAMIC_CALLS:
            dynamic = True
    return found, dynamic


def is_namespace(annotation):
    """`argparse.Namespace` parameters receive every parameter (the shim's bind)."""
    if isinstance(annotation, ast.Attribute):
        return annotation.attr == "Namespace"
    return isinstance(annotation, ast.Name) and annotation.id == "Namespace"


def required(fn):
    """The parameters a plain def takes by name with no default, as the shim binds them."""
    args = fn.args
    positional = args.posonlyargs + args.args
    with_default = set(a.arg for a in positional[len(positional) - len(args.defaults):]) if args.defaults else set()
    names = [a for a in positional if a.arg not in with_default]
    names += [a for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    return [a.arg for a in names if not is_namespace(a.annotation)]


def shown(file):
    """A file as messages name it: from the working directory when it is under it."""
    rel = os.path.relpath(file)
    return file if rel.startswith("..") else rel


def inspect_command(dotted):
    module_name, _, attr = dotted.rpartition(".")
    if not module_name:
        return {"problem": f"command '{dotted}' is not a dotted name like package.module.function"}
    spec, why = find_spec(module_name)
    if spec is None and why is None:
        return {}
    if spec is None:
        where = f"looked in the working directory {os.getcwd()} and the Python path of {sys.executable}"
        return {"problem": f"cannot import module '{module_name}' for command '{dotted}': {why} ({where})", "environmental": True}
    origin = spec.origin if spec.has_location else None
    if not origin or not origin.endswith(".py"):
        return {}  # a compiled or namespace module: only importing it would tell
    try:
        with open(origin, "rb") as f:
            tree = ast.parse(f.read(), filename=origin)
    except SyntaxError as e:
        return {"problem": f"module '{module_name}' ({shown(origin)}:{e.lineno}) does not parse: {e.msg}", "environmental": True}
    except OSError as e:
        return {"problem": f"module '{module_name}' cannot be read: {e}", "environmental": True}
    found, dynamic = definitions(tree)
    node = found.get(attr)
    if node is None:
        if dynamic:
            return {}
        return {"problem": f"module '{module_name}' ({shown(origin)}) defines no '{attr}' (command '{dotted}')"}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.decorator_list:
        return {"requires": required(node)}
    return {}  # a decorated function, a class, an assignment or an import: its signature is known at run time


def main():
    commands = json.loads(sys.argv[1])
    answers = []
    for dotted in commands:
        try:
            answers.append(inspect_command(dotted))
        except Exception as e:  # a check must never stop the others
            answers.append({"warning": f"could not check command '{dotted}': {type(e).__name__}: {e}"})
    sys.stdout.write(json.dumps(answers) + "\n")


if __name__ == "__main__":
    main()
