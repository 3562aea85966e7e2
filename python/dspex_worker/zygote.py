"""Fork server ("zygote"): import DSPy and the pool's tools once, then fork workers on request.

Importing DSPy is CPU-bound (about a second); a pool of N spawned workers pays it N times on
the same cores. The zygote pays it once and every forked worker shares the imported modules
copy-on-write, so a pool of 4 starts about as fast as a pool of 1.

Node talks to the zygote with the workers' own framing on fds 3 (in) and 4 (out):
  Node -> zygote  {"k": "fork", "token": hex32, "path": unix-socket-path}, {"k": "close"}
  zygote -> Node  {"k": "ready", ...}, {"k": "forked", "token", "pid"},
                  {"k": "fork_error", "token", "message"}, {"k": "exit", "pid", "code", "signal"}
A forked child connects three times to Node's Unix socket at `path` (stderr, stdout, then the
channel), each connection starting with a fixed 48-byte hello (token, stream letter, pid), puts
those sockets on fds 2, 1 and 3+4, and runs the ordinary worker main loop: the worker protocol is
unchanged. The zygote reaps its children and reports each exit status, which Node could not
otherwise see for processes that are not its own children.

No orphans: the zygote gets SIGTERM when Node dies (parent-death signal; its select loop also
checks the parent every 0.25 s, and EOF from Node without a close message means the same),
kills its children's process groups and removes Node's socket folder; each child gets SIGKILL
when the zygote dies, and EOF from Node on its channel.

Fork safety: fork() copies only the calling thread, so the zygote stays single-threaded (no
watchdog thread: its select loop checks the parent instead) and refuses to fork if anything it
imported started a thread; Node then falls back to spawning workers. `import dspy` 3.4.1 starts
none (threading.active_count() == 1 and one task in /proc/self/task after the import).
"""

from __future__ import annotations

import gc
import os
import platform
import random
import select
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Any

# numpy's OpenBLAS starts a thread pool when imported (the retriever and optimizer tools import
# numpy), and a process with threads cannot fork safely. The workers do little numeric work, so
# one BLAS thread each loses nothing and keeps the fork server single-threaded.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from .lifecycle import set_parent_death_signal
from .protocol import FrameReader, FrameWriter, Message, ProtocolError

READ_FD = 3
WRITE_FD = 4
HELLO_BYTES = 48
TOKEN_CHARS = 32


def thread_count() -> int:
    """Threads in this process, native ones included where /proc shows them."""
    try:
        native = len(os.listdir("/proc/self/task"))
    except OSError:
        native = 0
    return max(native, threading.active_count())


def preload(env: os._Environ[str] | dict[str, str]) -> tuple[str | None, str | None]:
    """Import what every worker imports at start. Failures are left for each worker to hit and
    report on its own stderr, exactly as a spawned worker would."""
    dspy_version: str | None = None
    try:
        if env.get("DSPEX_WORKER_SKIP_DSPY") != "1":
            import dspy

            from . import lm_proxy  # noqa: F401

            dspy_version = dspy.__version__
        from .worker import load_tools

        load_tools(env.get("DSPEX_WORKER_TEST_TOOLS") == "1", env.get("DSPEX_WORKER_MODULES", ""))
    except Exception as exc:  # the workers re-raise it with a full traceback
        return dspy_version, f"{type(exc).__name__}: {exc}"
    return dspy_version, None


def hello(token: str, stream: str, pid: int) -> bytes:
    data = f"{token}{stream}{pid:015d}".encode("ascii")
    if len(token) != TOKEN_CHARS or len(data) != HELLO_BYTES:
        raise ValueError(f"bad hello for token {token!r}")
    return data


def _connect(path: str, token: str, stream: str) -> int:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.sendall(hello(token, stream, os.getpid()))
    return sock.detach()


def _place(fd: int, *targets: int) -> None:
    for target in targets:
        if fd != target:
            os.dup2(fd, target, inheritable=target <= 2)
    if fd not in targets:
        os.close(fd)


def run_child(path: str, token: str, zygote_pid: int, own_fds: list[int]) -> int:
    """In the forked child: become an ordinary worker talking to Node over Unix sockets."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for fd in own_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    # Own session, hence own process group (Node kills the worker's group, as for a spawned
    # worker) and own scheduler autogroup: with autogroups on, workers sharing the zygote's
    # session would share one CPU share between them, where spawned workers get one each.
    try:
        os.setsid()
    except OSError:
        pass
    # The zygote (our parent) dies with Node; we die with the zygote.
    set_parent_death_signal()
    if os.getppid() != zygote_pid:
        return 1
    # stderr first, so anything that goes wrong from here on reaches Node's logger.
    _place(_connect(path, token, "e"), 2)
    _place(_connect(path, token, "o"), 1)
    _place(_connect(path, token, "c"), READ_FD, WRITE_FD)
    random.seed()  # CPython reseeds at fork too; numpy and others are reseeded if already imported
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed()
    os.environ["DSPEX_PARENT_PID"] = str(zygote_pid)
    from .worker import main

    return main()


class Zygote:
    def __init__(self, writer: FrameWriter, node_pid: int) -> None:
        self.writer = writer
        self.node_pid = node_pid
        self.pid = os.getpid()
        self.children: set[int] = set()
        self.socket_path: str | None = None
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda _sig, _frame: None)
        # Our parent-death signal: end the children and remove Node's socket folder on the way out.
        signal.signal(signal.SIGTERM, self._on_term)

    def _on_term(self, _sig: int, _frame: object) -> None:
        if os.getpid() != self.pid:
            os._exit(1)  # a child between fork and its own set-up
        self.shutdown(1)

    def serve(self) -> None:
        reader = FrameReader()
        while True:
            ready, _, _ = select.select([READ_FD, self.wake_r], [], [], 0.25)
            if os.getppid() != self.node_pid:
                self.shutdown(1)
            if self.wake_r in ready:
                try:
                    while os.read(self.wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            self.reap()
            if READ_FD in ready:
                data = os.read(READ_FD, 1 << 16)
                if not data:
                    self.shutdown(1)  # EOF without a close message: Node died
                for message in reader.feed(data):
                    self.handle(message)

    def handle(self, m: Message) -> None:
        if m["k"] == "close":
            self.shutdown(0)  # the pool closed: Node removes its folder itself
        if m["k"] != "fork":
            raise ProtocolError(f"unknown message kind {m['k']!r}")
        token = str(m["token"])
        self.socket_path = str(m["path"])
        threads = thread_count()
        if threads > 1:
            self.writer.send(
                {"k": "fork_error", "token": token, "message": f"the fork server has {threads} threads; forking is unsafe"}
            )
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = run_child(str(m["path"]), token, self.pid, [READ_FD, WRITE_FD, self.wake_r, self.wake_w])
            except BaseException:
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        self.children.add(pid)
        self.writer.send({"k": "forked", "token": token, "pid": pid})

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            code: int | None = None
            sig: str | None = None
            if os.WIFSIGNALED(status):
                num = os.WTERMSIG(status)
                try:
                    sig = signal.Signals(num).name
                except ValueError:
                    sig = f"SIG{num}"
            else:
                code = os.WEXITSTATUS(status)
            self.writer.send({"k": "exit", "pid": pid, "code": code, "signal": sig})

    def shutdown(self, code: int) -> None:
        for pid in self.children:
            for target in (-pid, pid):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
        # The parent-death signal first comes when Node's main thread exits, and again when its
        # last thread has and we are reparented; wait for that (a slow teardown under load
        # takes a while) so we know Node is gone before removing its folder.
        deadline = time.monotonic() + (1.5 if code == 1 else 0)
        while os.getppid() == self.node_pid and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.socket_path is not None and os.getppid() != self.node_pid:
            # Node died without cleaning up (SIGKILL): its private socket folder would be left behind.
            try:
                os.unlink(self.socket_path)
                os.rmdir(os.path.dirname(self.socket_path))
            except OSError:
                pass
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main() -> int:
    node_pid = int(os.environ.get("DSPEX_PARENT_PID", "0")) or os.getppid()
    # SIGTERM (handled once the loop runs: children killed, socket folder removed); until then
    # its default action ends us just as well.
    set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != node_pid:
        os._exit(1)
    writer = FrameWriter(WRITE_FD)
    dspy_version, preload_error = preload(os.environ)
    # Imported objects go to the permanent generation: the children's collections then leave
    # their pages shared instead of touching every object header.
    gc.collect()
    gc.freeze()
    zygote = Zygote(writer, node_pid)
    message: dict[str, Any] = {
        "k": "ready",
        "pid": zygote.pid,
        "python": platform.python_version(),
        "dspy": dspy_version,
        "threads": thread_count(),
        "preloadError": preload_error,
    }
    writer.send(message)
    try:
        zygote.serve()
    except ProtocolError as exc:
        print(f"dspex_worker.zygote: protocol error from Node, exiting: {exc}", file=sys.stderr)
        zygote.shutdown(2)
    except OSError:
        zygote.shutdown(1)  # our pipes to Node broke (Node died): clean up as for its death signal
    except BaseException:
        traceback.print_exc()
        zygote.shutdown(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
