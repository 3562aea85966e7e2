"""No orphans: a worker dies with its Node parent even when Node is SIGKILLed.

Three guards, any one of which suffices: EOF on fd 3 (handled by the main loop),
PR_SET_PDEATHSIG (Linux), and a watchdog thread comparing getppid() with Node's pid.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def watch_parent(expected_ppid: int, interval: float = 0.25) -> threading.Thread:
    def loop() -> None:
        while True:
            if os.getppid() != expected_ppid:
                os._exit(1)
            threading.Event().wait(interval)

    thread = threading.Thread(target=loop, name="dspex-parent-watch", daemon=True)
    thread.start()
    return thread


def install_guards() -> None:
    set_parent_death_signal()
    expected = int(os.environ.get("DSPEX_PARENT_PID", "0")) or os.getppid()
    # The parent may have died before prctl took effect: the watchdog covers that race too.
    if os.getppid() != expected:
        os._exit(1)
    watch_parent(expected)
