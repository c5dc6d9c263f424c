"""Replica processes: start them, kill them, and never leave one behind.

Every process is started in its own process group (as the reference
does), so a kill reaches anything the replica itself started. All live
groups are recorded here; `kill_all` runs at normal exit, on error and on
Ctrl-C or SIGTERM.
"""

import atexit
import os
import signal
import subprocess

_live = {}


def start(argv, silence):
    """Starts one replica; its output is piped to the simulator unless silenced."""
    out = subprocess.DEVNULL if silence else subprocess.PIPE
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT if not silence else subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    _live[proc.pid] = proc
    return proc


def kill(proc, sig=signal.SIGTERM):
    """Signals a replica's whole process group."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def reap(proc):
    """Forgets a replica after making sure its group is gone."""
    kill(proc, signal.SIGKILL)
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass
    if proc.stdout:
        proc.stdout.close()
    _live.pop(proc.pid, None)


def kill_all():
    """Kills every replica process group still alive."""
    for proc in list(_live.values()):
        reap(proc)


def _on_signal(signum, _frame):
    kill_all()
    raise SystemExit(128 + signum)


def install_handlers():
    """Makes exits of every kind clean up the replicas."""
    atexit.register(kill_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
