"""
Runs one Python function for runnable-ts: a `python` task (mode "call") or a map step's Python
reducer (mode "reduce"). Started by src/tasks/python.ts / _python_reducer.ts, one process per
task execution; see _runnable_common.py for the stdin / fd 3 protocol.

Arguments are bound as AstraZeneca's runnable binds them (runnable/parameters.py
filter_arguments_for_func): by name; defaults respected; a parameter annotated with a pydantic
model is validated from its dict; other annotated parameters are cast to their class; `**kwargs`
(or an `argparse.Namespace` parameter) receives the remaining parameters; object parameters are
unpickled. Returns: one declared name takes the whole value; several take a tuple by position.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# No __pycache__ in the installed package's folder (it may be read-only, and it is not ours to litter).
_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
import _runnable_common as common  # noqa: E402  (found through sys.path[0] == HERE)
sys.dont_write_bytecode = _bytecode

# The user's code must not see our folder on sys.path; it sees the working directory first.
if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
    del sys.path[0]
sys.path.insert(0, os.getcwd())

import argparse  # noqa: E402
import asyncio  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402
import pickle  # noqa: E402
import typing  # noqa: E402

OUR_FILES = (os.path.join(HERE, "runnable_shim.py"), os.path.join(HERE, "_runnable_common.py"))


class Failure(Exception):
    """An expected failure: its message is the step's message, no traceback of ours."""


def main():
    request = common.read_message()
    consumed = []
    try:
        if request["mode"] == "reduce":
            result = reduce_values(request)
        else:
            result = call_function(request, consumed)
        common.send({"type": "result", "ok": True, **result})
        return 0
    except Failure as e:
        common.send({"type": "result", "ok": False, "error": str(e), "consumed": consumed})
    except BaseException as e:  # the user's code failed: show its traceback, record its summary
        sys.stderr.write(common.format_exception(e, OUR_FILES))
        sys.stderr.flush()
        common.send({"type": "result", "ok": False, "error": common.summary(e), "consumed": consumed})
    return 1


# --- loading -------------------------------------------------------------------------------


def load_attribute(dotted, what):
    module_name, _, attr = dotted.rpartition(".")
    if not module_name:
        raise Failure(f"{what} '{dotted}' is not a dotted name like package.module.function")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            raise Failure(
                f"cannot import module '{module_name}' for {what} '{dotted}': {e} "
                f"(modules are imported from the working directory {os.getcwd()} and the Python path of {sys.executable})"
            ) from None
        raise
    try:
        return getattr(module, attr)
    except AttributeError:
        raise Failure(f"module '{module_name}' has no attribute '{attr}' ({what} '{dotted}')") from None


def request_objects(names, params):
    """Asks TypeScript for the pickle files of these object parameters; returns name -> value."""
    if not names:
        return {}
    common.send({"type": "need", "names": names})
    reply = common.read_message() or {}
    errors = reply.get("errors") or {}
    if errors:
        raise Failure("; ".join(str(e) for e in errors.values()))
    values = {}
    for name in names:
        with open(reply["paths"][name], "rb") as f:
            values[name] = pickle.load(f)
    return values


# --- binding -------------------------------------------------------------------------------


def signature_of(func):
    try:
        return inspect.signature(func, eval_str=True)  # resolves `from __future__ import annotations`
    except Exception:
        return inspect.signature(func)


def is_pydantic_class(annotation):
    cls = annotation if inspect.isclass(annotation) else typing.get_origin(annotation)
    if not inspect.isclass(cls):
        return False
    return any(c.__name__ == "BaseModel" and c.__module__.startswith("pydantic") for c in cls.__mro__)


def to_pydantic(name, value, model):
    """runnable's bind_args_for_pydantic_model: fields of the model, extra keys ignored."""
    if not isinstance(value, dict):
        value = {name: value}  # a one-attribute model given its value
    fields = getattr(model, "model_fields", None)  # pydantic 2
    if fields is not None:
        known = {n for n in fields} | {f.alias for f in fields.values() if f.alias}
    else:  # pydantic 1
        known = {n for n in model.__fields__} | {f.alias for f in model.__fields__.values()}
    try:
        return model(**{k: v for k, v in value.items() if k in known})
    except Exception as e:
        raise Failure(f"parameter '{name}' does not fit {model.__name__}: {e}") from None


def cast(name, value, annotation):
    """runnable casts a value to its annotated class (int, float, list, DataFrame...)."""
    if annotation is inspect.Parameter.empty or annotation is typing.Any or annotation is object:
        return value
    cls = annotation if inspect.isclass(annotation) else typing.get_origin(annotation)
    if not inspect.isclass(cls) or isinstance(value, cls):
        return value  # Optional[...], Union[...], string annotations...: passed as found
    try:
        return cls(value)
    except (TypeError, ValueError) as e:
        raise Failure(f"cannot cast parameter '{name}' to {getattr(cls, '__name__', cls)}: {e}") from None


def bind(func, label, params, consumed):
    """(positional args, keyword args) for `func`; appends the parameter names used to `consumed`."""
    sig = signature_of(func)
    named, missing = [], []
    var_keyword = namespace = None
    for name, p in sig.parameters.items():
        if p.kind == p.VAR_POSITIONAL:
            continue
        if p.kind == p.VAR_KEYWORD:
            var_keyword = name
            continue
        if p.annotation is argparse.Namespace:
            namespace = name
            continue
        if name in params:
            named.append(p)
        elif p.default is p.empty:
            missing.append(name)
    if missing:
        listed = ", ".join(f"'{n}'" for n in missing)
        known = ", ".join(params) or "none"
        raise Failure(f"{label} needs parameter{'s' if len(missing) > 1 else ''} {listed}, not set (parameters: {known})")

    used = {p.name for p in named}
    extras = [n for n in params if n not in used] if (var_keyword or namespace) else []
    # Objects another language wrote cannot be read here; as extras they are left out.
    extras = [n for n in extras if not (params[n]["kind"] == "object" and params[n].get("format") != "pickle")]
    objects = request_objects(
        [n for n in [p.name for p in named] + extras if params[n]["kind"] == "object"], params
    )

    def value_of(n):
        return objects[n] if n in objects else params[n]["value"]

    args, kwargs = [], {}
    for p in named:
        value = value_of(p.name)
        if params[p.name]["kind"] != "object":
            value = to_pydantic(p.name, value, p.annotation) if is_pydantic_class(p.annotation) else cast(p.name, value, p.annotation)
        if p.kind == p.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[p.name] = value
        consumed.append(p.name)
    if var_keyword:
        for n in extras:
            kwargs[n] = value_of(n)
            consumed.append(n)
    elif namespace:
        ns = argparse.Namespace()
        for n in extras:
            setattr(ns, n, value_of(n))
            consumed.append(n)
        kwargs[namespace] = ns
    return args, kwargs


# --- call and returns ----------------------------------------------------------------------


def encode(name, kind, value, tmpdir, index):
    if kind == "object":
        path = os.path.join(tmpdir, f"return-{index}.pickle")
        try:
            with open(path, "wb") as f:
                pickle.dump(value, f)
        except Exception as e:
            raise Failure(f"returned '{name}' (kind object) cannot be pickled: {common.summary(e)}") from None
        return {"pickle": path}
    try:
        return {"value": common.to_json(value, name)}
    except ValueError as e:
        raise Failure(str(e)) from None


def call_function(request, consumed):
    command = request["command"]
    func = load_attribute(command, "command")
    label = f"function '{command.rpartition('.')[2]}'"
    if not callable(func):
        raise Failure(f"'{command}' is a {type(func).__name__}, not a function")
    args, kwargs = bind(func, label, request["params"], consumed)
    value = func(*args, **kwargs)
    if inspect.isawaitable(value):
        value = asyncio.run(_await(value))
    specs = request["returns"]
    if not specs:
        return {"consumed": consumed, "returns": {}}
    # SPEC §3: one name takes the whole value (a tuple too); several take a tuple by position.
    values = value if isinstance(value, tuple) and len(specs) > 1 else (value,)
    if len(values) != len(specs):
        names = ", ".join(s["name"] for s in specs)
        raise Failure(
            f"{label} returned {len(values)} value(s), but returns declares {len(specs)} ({names}): "
            "return a tuple with one value per name"
        )
    returns = {s["name"]: encode(s["name"], s["kind"], v, request["tmpdir"], i) for i, (s, v) in enumerate(zip(specs, values))}
    return {"consumed": consumed, "returns": returns}


async def _await(awaitable):
    return await awaitable


def reducer_function(spec):
    """runnable's MapNode.get_reducer_function: a Python expression (lambda, builtin) or a dotted function."""
    if all(part.isidentifier() for part in spec.split(".")) and "." in spec:
        return load_attribute(spec, "reducer")
    try:
        fn = eval(spec, {"__builtins__": __builtins__})  # the pipeline author's own expression
    except Exception as e:
        raise Failure(f"reducer '{spec}' is neither a Python expression giving a function nor a dotted name: {common.summary(e)}") from None
    if not callable(fn):
        raise Failure(f"reducer '{spec}' is not a function")
    return fn


def reduce_values(request):
    fn = reducer_function(request["reducer"])
    reduced = {}
    for index, (name, entry) in enumerate(request["values"].items()):
        if entry["kind"] == "object":
            values = []
            for path in entry["paths"]:
                with open(path, "rb") as f:
                    values.append(pickle.load(f))
        else:
            values = entry["values"]
        reduced[name] = encode(name, entry["kind"], fn(*values), request["tmpdir"], index)
    return {"reduced": reduced}


if __name__ == "__main__":
    sys.exit(main())
