"""
Executes one notebook for a runnable-ts `notebook` task, with the Jupyter kernel its kernelspec
names (Python's ipykernel, Deno's TypeScript kernel, ...) through nbclient. Started by
src/tasks/notebook.ts; see _runnable_common.py for the stdin / fd 3 protocol.

- Parameters become a new cell after the cell tagged `parameters` (at the top if none), written
  in the kernel's language as literals built from JSON values (never by pasting text).
- Cell outputs are echoed live on stdout/stderr, which runnable-ts streams into the step log.
- After the last cell, `returns` are read from the kernel's variables by a helper snippet that
  is not added to the notebook (json/metric as JSON, object kinds pickled by Python kernels or
  v8-serialised by Deno).
- The executed notebook (with outputs, also when a cell fails) is written where asked.
- The kernel is always shut down: at the end, on a failing cell, and on SIGTERM/SIGINT (then at
  once, by killing its process group: runnable-ts sends SIGTERM on abort or timeout).

`--probe` prints what this interpreter offers (Jupyter modules, kernelspecs) as JSON.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# No __pycache__ in the installed package's folder (it may be read-only, and it is not ours to litter).
_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
import _runnable_common as common  # noqa: E402
from _runnable_languages import LANGUAGES  # noqa: E402
sys.dont_write_bytecode = _bytecode

if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
    del sys.path[0]

import time  # noqa: E402

STARTED = time.monotonic()

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402

REQUIRED = ("nbclient", "nbformat", "jupyter_client")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
INJECTED_TAG = "injected-parameters"
KERNEL_START_TRIES = 3
# How long after a cell's reply its output may still be arriving. nbclient's default (4 s) drops
# output that a loaded machine delivers later, with only a log warning; we wait until the kernel
# says it is idle, and fail the step (never lose output silently) if that takes longer than this.
IOPUB_WAIT_SECONDS = 600
# Lines a kernel prints on every start that say nothing about the user's notebook.
KERNEL_NOISE = re.compile(r'"deno jupyter" is unstable|Debugger warning|frozen modules|to python to disable frozen|Debugging will proceed')


def probe():
    """Cheap on purpose (it runs before every pipeline with notebooks): kernelspecs are read
    from the Jupyter data folders, as KernelSpecManager would, without importing ipykernel."""
    missing = [m for m in REQUIRED if importlib.util.find_spec(m) is None]
    has_ipykernel = importlib.util.find_spec("ipykernel") is not None
    kernels, error = {}, None
    if not missing:
        try:
            from jupyter_core.paths import jupyter_path

            for folder in jupyter_path("kernels"):
                for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                    spec_file = os.path.join(folder, name, "kernel.json")
                    if name.lower() in kernels or not os.path.isfile(spec_file):
                        continue
                    with open(spec_file, encoding="utf-8") as f:
                        spec = json.load(f)
                    argv0 = (spec.get("argv") or [""])[0]
                    kernels[name.lower()] = {
                        "language": spec.get("language", ""),
                        "display_name": spec.get("display_name", name),
                        "runnable": bool(argv0 in ("python", "python3", sys.executable) or shutil.which(argv0)),
                    }
        except Exception as e:  # a broken kernelspec folder: report, do not crash
            error = common.summary(e)
        if has_ipykernel and "python3" not in kernels:  # the native kernel needs no kernelspec file
            kernels["python3"] = {"language": "python", "display_name": "Python 3 (ipykernel)", "runnable": True}
    print(json.dumps({
        "executable": sys.executable,
        "version": list(sys.version_info[:3]),
        "missing": missing,
        "ipykernel": has_ipykernel,
        "kernels": kernels,
        "error": error,
    }))


# --- execution -----------------------------------------------------------------------------


class Failure(Exception):
    pass


def echo(msg):
    """A kernel output message, as text on our stdout/stderr (ANSI colours removed)."""
    kind, content = msg["msg_type"], msg["content"]
    if kind == "stream":
        stream = sys.stderr if content.get("name") == "stderr" else sys.stdout
        stream.write(content.get("text", ""))
        stream.flush()
    elif kind in ("execute_result", "display_data"):
        text = content.get("data", {}).get("text/plain")
        if text:
            sys.stdout.write(ANSI.sub("", text) + "\n")
            sys.stdout.flush()
    elif kind == "error":
        sys.stderr.write(ANSI.sub("", "\n".join(content.get("traceback") or [f"{content.get('ename')}: {content.get('evalue')}"])) + "\n")
        sys.stderr.flush()


def inject(nb, language, params):
    """Adds the parameters cell; returns (its index, names injected)."""
    import nbformat

    nb.cells = [c for c in nb.cells if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])]
    index, source = 0, ""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            index, source = i + 1, cell.get("source", "")
            break
    usable = {k: v for k, v in params.items() if language.valid(k)}
    cell = nbformat.v4.new_code_cell(language.parameters_cell(usable, source), metadata={"tags": [INJECTED_TAG]})
    if "id" in cell:
        # a fixed id, not nbformat's random one: the same run gives the same executed copy (its hash is recorded)
        cell["id"] = "runnable-injected-parameters"
    nb.cells.insert(index, cell)
    return index, list(usable)


async def execute(request):
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(request["notebook"], as_version=4)
    kernel_name = nb.metadata.get("kernelspec", {}).get("name") or "python3"
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise Failure(f"the notebook's kernel '{kernel_name}' is not installed") from None
    lang_name = (spec.language or nb.metadata.get("kernelspec", {}).get("language") or "").lower()
    language = LANGUAGES.get(lang_name)
    specs = request["returns"]
    if language is None:
        if specs:
            raise Failure(f"returns are not supported for {spec.language or kernel_name} notebooks (only Python and TypeScript kernels)")
        sys.stderr.write(f"runnable: parameters are not injected into {spec.language or kernel_name} notebooks\n")
        injected_at, injected = None, []
    else:
        for s in specs:
            if not language.valid(s["name"]):
                raise Failure(f"returns name '{s['name']}' is not a {language.name} variable name")
        injected_at, injected = inject(nb, language, request["parameters"])

    class Client(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):
            echo(msg)
            return super().output(outs, msg, display_id, cell_index)

    def make_client():
        return Client(nb, kernel_name=kernel_name, timeout=None, iopub_timeout=IOPUB_WAIT_SECONDS, raise_on_iopub_timeout=True,
                      # no per-cell timestamps: the executed copy of the same run is the same file (its hash is recorded)
                      record_timing=False, shutdown_kernel="graceful", startup_timeout=request.get("startup_timeout", 60),
                      resources={"metadata": {"path": request["cwd"]}})

    # seconds since this helper started, for bench/notebook.mjs
    timings = {"imported": round(time.monotonic() - STARTED, 3)}
    result = {"injected": injected, "kernel": kernel_name, "language": lang_name, "timings": timings}
    try:
        async with contextlib.AsyncExitStack() as stack:
            client = await start_kernel(stack, make_client, kernel_name)
            on_abort_kill_kernel(client)
            forward_kernel_stderr(client)
            info = await client.async_wait_for_reply(await ensure(client.kc.kernel_info()))
            if info and "language_info" in info["content"]:
                nb.metadata["language_info"] = info["content"]["language_info"]
            timings["kernel_ready"] = round(time.monotonic() - STARTED, 3)
            for index, cell in enumerate(nb.cells):
                try:
                    try:
                        await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                    finally:
                        if cell.get("cell_type") == "code" and language is not None:
                            await collect_late_output(client, language, cell, index, injected_at)
                except CellTimeoutError:
                    raise Failure(f"the output of {cell_label(index, injected_at)} did not arrive within {IOPUB_WAIT_SECONDS} s after it ended") from None
                except CellExecutionError:
                    result["error"] = cell_error(cell, index, injected_at)
                    return result
                except DeadKernelError:
                    raise Failure(f"the kernel died while running {cell_label(index, injected_at)}") from None
            timings["executed"] = round(time.monotonic() - STARTED, 3)
            if specs:
                result["returns"] = await read_returns(client, language, specs, request["tmpdir"])
            timings["returns"] = round(time.monotonic() - STARTED, 3)
    finally:
        nbformat.write(nb, request["output"])
    return result


async def collect_late_output(client, language, cell, index, injected_at):
    """
    For kernels that forward a cell's output after reporting the cell done (Deno): writes a
    marker to the kernel's stdout and stderr and takes every stream message up to both markers
    as the cell's output (echoed, and kept in the executed notebook), so none is lost or shown
    under the next cell. Waits as long as the kernel lives, up to IOPUB_WAIT_SECONDS.
    """
    from queue import Empty

    marker = f"runnable-output-marker-{uuid.uuid4().hex}"

    async def ask():
        return await ensure(client.kc.execute(language.flush_code(marker), silent=False, store_history=False, allow_stdin=False))

    msg_id = await ask()
    replied = False
    pending = {"stdout", "stderr"}
    deadline = time.monotonic() + IOPUB_WAIT_SECONDS
    while pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Failure(f"the output of {cell_label(index, injected_at)} did not arrive within {IOPUB_WAIT_SECONDS} s after it ended")
        try:
            msg = await ensure(client.kc.iopub_channel.get_msg(timeout=min(remaining, 1)))
        except Empty:
            if not await ensure(client.km.is_alive()):
                raise Failure(f"the kernel died while running {cell_label(index, injected_at)}") from None
            if not replied:
                # After a failed cell ipykernel aborts the execute requests that reach it before it
                # has finished stopping (stop_on_error): a marker request caught there never prints.
                # Its reply says so: the marker is asked for again.
                reply = await reply_to(client, msg_id)
                if reply is not None and reply["content"].get("status") == "aborted":
                    msg_id = await ask()
                elif reply is not None:
                    replied = True
            continue
        if msg["msg_type"] != "stream":
            continue  # the marker request's own busy/idle/input messages
        content = msg["content"]
        text = content.get("text", "")
        if marker in text:
            pending.discard(content.get("name", "stdout"))
            text = text.replace(marker + "\n", "").replace(marker, "")
            if not text:
                continue
            content["text"] = text
        client.output(cell.setdefault("outputs", []), msg, None, index)
    if not replied:
        await client.async_wait_for_reply(msg_id)


async def reply_to(client, msg_id):
    """The shell reply to request `msg_id` if it has come (replies to earlier requests are skipped), else None; never waits."""
    from queue import Empty

    while True:
        try:
            reply = await ensure(client.kc.shell_channel.get_msg(timeout=0))
        except Empty:
            return None
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return reply


async def start_kernel(stack, make_client, kernel_name):
    """
    Starts the kernel (its own stderr, not its cells' output, piped to be filtered for start-up
    noise). A kernel can die before it answers: jupyter_client picks its ports by binding and
    releasing them, so kernels starting at the same moment in other processes can collide. No
    user code has run then, so the start is tried again, a few times, after a short random pause.
    """
    for attempt in range(1, KERNEL_START_TRIES + 1):
        client = make_client()
        try:
            await stack.enter_async_context(client.async_setup_kernel(stderr=subprocess.PIPE))
            return client
        except Exception as e:
            if attempt == KERNEL_START_TRIES:
                raise
            sys.stderr.write(f"runnable: the {kernel_name} kernel did not start ({common.summary(e)}); starting it again\n")
            sys.stderr.flush()
            await asyncio.sleep(0.2 + random.random())


async def ensure(value):
    return await value if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future) else value


def cell_label(index, injected_at):
    if index == injected_at:
        return "the injected parameters cell"
    original = index - 1 if injected_at is not None and index > injected_at else index
    return f"cell {original + 1}"


def cell_error(cell, index, injected_at):
    err = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), {})
    return {
        "cell": cell_label(index, injected_at),
        "ename": err.get("ename", "Error"),
        "evalue": ANSI.sub("", err.get("evalue", "")),
    }


async def read_returns(client, language, specs, tmpdir):
    out_path = os.path.join(tmpdir, "returns.json")
    triples = [[s["name"], s["kind"], os.path.join(tmpdir, f"return-{i}.bin")] for i, s in enumerate(specs)]
    code = language.returns_code(triples, out_path)
    msg_id = await ensure(client.kc.execute(code, silent=True, store_history=False, allow_stdin=False))
    reply = await client.async_wait_for_reply(msg_id)
    content = (reply or {}).get("content", {})
    if content.get("status") != "ok" or not os.path.exists(out_path):
        raise Failure(f"cannot read the returns from the kernel: {content.get('ename', '')}: {ANSI.sub('', content.get('evalue', ''))}")
    with open(out_path, encoding="utf-8") as f:
        return json.load(f)


def forward_kernel_stderr(client):
    process = getattr(getattr(client.km, "provisioner", None), "process", None)
    stream = getattr(process, "stderr", None)
    if stream is None:
        return

    def pump():
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace")
            if not KERNEL_NOISE.search(ANSI.sub("", line)):
                sys.stderr.write(line)
                sys.stderr.flush()

    threading.Thread(target=pump, daemon=True).start()


def on_abort_kill_kernel(client):
    """On SIGTERM/SIGINT: kill the kernel's process group now (it runs in its own session), then exit."""
    provisioner = getattr(client.km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    pid = getattr(process, "pid", None)
    if pid:
        common.send({"type": "kernel", "pid": pid})

    def stop():
        if pid:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(pid, sig)
                except OSError:
                    pass
        try:
            client.km.cleanup_connection_file()
        except Exception:
            pass
        sys.stderr.write("runnable: aborted, kernel shut down\n")
        sys.stderr.flush()
        os._exit(143)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)


def main():
    if sys.argv[1:] == ["--probe"]:
        probe()
        return 0
    # Kernels inherit our environment (the step's secrets and RUNNABLE_* variables included).
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    request = common.read_message()
    try:
        result = asyncio.run(execute(request))
    except Failure as e:
        common.send({"type": "result", "ok": False, "error": str(e)})
        return 1
    except Exception as e:
        sys.stderr.write(common.format_exception(e))
        common.send({"type": "result", "ok": False, "error": common.summary(e)})
        return 1
    result["timings"]["shut_down"] = round(time.monotonic() - STARTED, 3)
    error = result.pop("error", None)
    if error:
        common.send({"type": "result", "ok": False, "cell_error": error, **result})
        return 1
    common.send({"type": "result", "ok": True, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
