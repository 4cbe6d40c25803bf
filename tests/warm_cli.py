"""Real `claimbot` processes without paying Python's start-up for each one: a fork server.

A `claimbot` command run from scratch spends most of its time before it does anything: the
interpreter starts, imports the bot (SQLAlchemy, alembic, pydantic, numpy...) and loads the language
detector (an xz-compressed model), about a second of CPU per command, and the CLI tests run a few
hundred commands. So each pytest worker starts one *zygote*: a process that has imported `bot.cli`,
loaded the detector and compiled the reply catalogs, and nothing else (no database, no ONNX session,
no onnxruntime import, no tokenizer use: nothing that starts threads a fork would not carry). For
each command it forks a child that takes the test's stdin, stdout and stderr, working directory,
environment and arguments, runs `bot.cli` as `python -m bot.cli` does (`runpy`, `__main__`) and
exits through the interpreter's normal shutdown. The command is thus a separate process with its own
exit code, database connections, ONNX model load and sentence encoding; only the imports and those
two pure-data loads are inherited.

What a child does not repeat is the interpreter's start-up, so a command whose environment changes
start-up (any PYTHON* variable, or the locale variables that set the stdio encoding) runs cold, as
does every command when CLAIMBOT_TEST_COLD_CLI=1 (to compare, or to rule the fork server out).
Start-up from scratch stays tested by the tests that run `python -m bot.cli` themselves
(tests/test_cli.py's default database and several processes, tests/test_embeddings.py's lexical-only
check, tests/test_crash.py, tests/test_workers.py).
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLD = os.environ.get("CLAIMBOT_TEST_COLD_CLI", "") not in ("", "0", "false")
# Modules the bot imports inside the functions that need them (see zygote()).
LAZILY_IMPORTED = (
    "bot.media",
    "bot.media.ocr",
    "bot.usecases.embedding",
    "bot.matching.segment_writer",
    "bot.importers._common",
    "w3lib.url",
    "babel.core",
    "babel.dates",
    "babel.messages.mofile",
    "babel.messages.pofile",
)


def startup_environment(env: dict[str, str]) -> dict[str, str]:
    """The variables the interpreter reads while starting (stdio encoding, paths, hash seed...)."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON") or k in ("LANG", "LC_ALL", "LC_CTYPE")}


# ------------------------------------------------------------------------------ the zygote process


def _send(conn: socket.socket, message: dict[str, object]) -> None:
    data = json.dumps(message).encode()
    conn.sendall(struct.pack("!I", len(data)) + data)


def _recv(conn: socket.socket) -> dict[str, object] | None:
    header = _recv_exactly(conn, 4)
    if header is None:
        return None
    data = _recv_exactly(conn, struct.unpack("!I", header)[0])
    return None if data is None else json.loads(data)


def _recv_exactly(conn: socket.socket, size: int) -> bytes | None:
    chunks = b""
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks


def zygote(path: str) -> None:
    """Serve forks on the Unix socket `path` until stdin closes (the pytest worker went away)."""
    import bot.cli

    bot.cli.build_parser()  # the work each command would otherwise repeat: it imports every command
    # ...but not what the commands import when first used, so that `claimbot ask` does not pay for it
    # (media fingerprinting, batch encoding, the index writer, the import readers' helpers, w3lib, Babel):
    # the tests' commands use all of it, so the zygote imports it once for them.
    for module in LAZILY_IMPORTED:
        importlib.import_module(module)
    from bot.i18n import LANGUAGES, translator, warm_up

    warm_up()  # the language detector: pure Python and numpy, safe to share through fork
    for language in LANGUAGES:
        translator(language)  # each catalog compiled from its .po (bot/i18n.py), pure data too
    # What is inherited stays out of the children's garbage collections: without this, a child's
    # collections and its exit walk (and copy, page by page) everything imported, ~0.5 s a command.
    gc.freeze()

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that the wake-up fd is written
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")
    children: dict[int, socket.socket] = {}
    sys.stdout.write("ready\n")
    sys.stdout.flush()

    while True:
        for key, _ in selector.select():
            if key.data == "parent":
                if not os.read(sys.stdin.fileno(), 4096):
                    for pid in children:
                        os.kill(pid, signal.SIGKILL)
                    return
            elif key.data == "child":
                os.read(wake_r, 4096)
                while children:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                    if pid == 0:
                        break
                    conn = children.pop(pid, None)
                    if conn is not None:
                        _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                        conn.close()
            else:
                conn, _ = listener.accept()
                message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
                size = struct.unpack("!I", message[:4])[0]
                data = message[4:]
                while len(data) < size:
                    data += conn.recv(size - len(data))
                request = json.loads(data)
                pid = os.fork()
                if pid == 0:
                    # The child: nothing of the server stays open, then it becomes the command.
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    selector.close()
                    for fd in (wake_r, wake_w):
                        os.close(fd)
                    listener.close()
                    conn.close()
                    for other in children.values():
                        other.close()
                    _become(request, fds)
                    return
                for fd in fds:
                    os.close(fd)
                children[pid] = conn
                _send(conn, {"pid": pid})


def _become(request: dict[str, object], fds: list[int]) -> None:
    """In the forked child: the test's stdio, directory and environment, then `python -m bot.cli`."""
    import runpy

    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(str(request["cwd"]))
    os.environ.clear()
    os.environ.update(request["env"])  # type: ignore[arg-type]
    sys.argv = ["-m", *request["args"]]  # type: ignore[misc]
    # Exceptions and SystemExit leave through the interpreter, as they would from `python -m`.
    runpy.run_module("bot.cli", run_name="__main__", alter_sys=True)


# ------------------------------------------------------------------------------ the pytest side


class _Zygote:
    def __init__(self, startup: dict[str, str]) -> None:
        self.directory = tempfile.mkdtemp(prefix="claimbot-zygote-")
        self.path = os.path.join(self.directory, "socket")
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("CLAIMBOT_", "TELEGRAM_", "DISCORD_"))
        }
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from tests.warm_cli import zygote; zygote({self.path!r})"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=environment,
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        assert ready == b"ready\n", f"the claimbot fork server did not start: {ready!r}"
        self.startup = startup_environment(environment)

    def run(
        self, argv: list[str], env: dict[str, str], stdin: bytes | None, timeout: float
    ) -> tuple[int, bytes, bytes]:
        with (
            tempfile.TemporaryFile() as stdin_file,
            tempfile.TemporaryFile() as out,
            tempfile.TemporaryFile() as err,
        ):
            if stdin is not None:
                stdin_file.write(stdin)
                stdin_file.seek(0)
            source = stdin_file.fileno() if stdin is not None else os.open(os.devnull, os.O_RDONLY)
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                    conn.connect(self.path)
                    data = json.dumps({"args": argv, "env": env, "cwd": str(ROOT)}).encode()
                    framed = struct.pack("!I", len(data)) + data
                    socket.send_fds(conn, [framed[:4096]], [source, out.fileno(), err.fileno()])
                    if len(framed) > 4096:
                        conn.sendall(framed[4096:])
                    started = _recv(conn)
                    assert started is not None and "pid" in started, "the claimbot fork server failed"
                    conn.settimeout(timeout)
                    try:
                        finished = _recv(conn)
                    except TimeoutError:
                        os.kill(int(started["pid"]), signal.SIGKILL)  # type: ignore[arg-type]
                        conn.settimeout(None)
                        _recv(conn)
                        raise subprocess.TimeoutExpired(argv, timeout) from None
                    assert finished is not None, "the claimbot fork server went away"
            finally:
                if stdin is None:
                    os.close(source)
            out.seek(0)
            err.seek(0)
            return int(finished["exit"]), out.read(), err.read()  # type: ignore[arg-type]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        for name in os.listdir(self.directory):
            os.unlink(os.path.join(self.directory, name))
        os.rmdir(self.directory)


_zygote: _Zygote | None = None
_lock = threading.Lock()


def run(
    argv: list[str], env: dict[str, str], stdin: bytes | None, timeout: float
) -> tuple[int, bytes, bytes]:
    """`python -m bot.cli *argv` with this environment and stdin (None: /dev/null), in ROOT:
    (exit code, stdout, stderr). Forked from the fork server when start-up would be the same."""
    global _zygote
    if not COLD and hasattr(os, "fork"):
        with _lock:
            if _zygote is None:
                _zygote = _Zygote({})
                atexit.register(_zygote.close)
        if startup_environment(env) == _zygote.startup:
            return _zygote.run(argv, env, stdin, timeout)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *argv],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )
    return result.returncode, result.stdout, result.stderr
