"""
Shared by runnable-ts's Python helpers (runnable_shim.py, runnable_notebook.py).

Protocol with the TypeScript side (src/tasks/_python.ts): the request is one JSON line on
stdin; messages to TypeScript are JSON lines on file descriptor 3, so the user's code keeps
stdout and stderr, which are streamed live into the step log. A helper may ask for more on
stdin (e.g. the pickle files of object parameters) after it sent a message saying so.

Standard library only: the interpreter may have nothing else installed.
"""
import json
import os
import sys
import traceback

_channel = None


def _open_channel():
    global _channel
    if _channel is None:
        # Not inherited by processes the user's code starts: they must not hold the channel open.
        os.set_inheritable(3, False)
        _channel = os.fdopen(3, "w", encoding="utf-8", closefd=False)
    return _channel


def send(message):
    """One JSON line to TypeScript (values already made JSON-safe by the caller)."""
    channel = _open_channel()
    channel.write(json.dumps(message, allow_nan=False) + "\n")
    channel.flush()


def read_message():
    """The next JSON line on stdin; None when stdin is closed."""
    line = sys.stdin.readline()
    return json.loads(line) if line else None


def json_default(value):
    """json.dumps' fallback: pydantic models (v1 and v2), numpy scalars and arrays."""
    dump = getattr(value, "model_dump", None)
    if callable(dump) and _is_pydantic(value):
        return dump(mode="json", by_alias=True)
    if _is_pydantic(value):  # pydantic 1.x (Debian bookworm ships 1.10)
        return json.loads(value.json(by_alias=True))
    module = type(value).__module__ or ""
    if module.startswith("numpy"):
        if hasattr(value, "tolist"):
            return value.tolist()
        if hasattr(value, "item"):
            return value.item()
    raise TypeError(f"{type(value).__module__}.{type(value).__qualname__} is not JSON serialisable")


def _is_pydantic(value):
    return any(c.__module__.startswith("pydantic") and c.__name__ == "BaseModel" for c in type(value).__mro__)


def to_json(value, name):
    """`value` as a JSON-safe structure (round-tripped through json), or ValueError naming the parameter."""
    try:
        return json.loads(json.dumps(value, default=json_default, allow_nan=False))
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"returned '{name}' is not a JSON value ({e}); declare it as {{name: {name}, kind: object}}"
        ) from None


def format_exception(exc, skip_files=()):
    """The traceback of `exc` without the frames of runnable-ts's own helpers."""
    te = traceback.TracebackException.from_exception(exc)
    skip = {os.path.abspath(f) for f in skip_files}

    def trim(t):
        t.stack = traceback.StackSummary.from_list(
            [f for f in t.stack if os.path.abspath(f.filename) not in skip]
        )
        if t.__cause__ is not None:
            trim(t.__cause__)
        if t.__context__ is not None:
            trim(t.__context__)

    trim(te)
    return "".join(te.format())


def summary(exc):
    """`Name: message`, the one line a failed attempt records."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
