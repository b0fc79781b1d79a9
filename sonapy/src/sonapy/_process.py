"""Running ``sona serve`` as a child: spawn, wait for the ready line, drain both pipes, stop.

Both pipes are read by daemon threads for the child's whole life. The original sonapy read one
stdout line and never touched the pipes again, so a chatty server (``-v``) filled the 64 KiB pipe
buffer and blocked on its next write. Here stderr goes into a bounded tail used in error messages,
and anything on stdout after the ready line (there should be nothing) into another.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import subprocess
import threading
import time
from typing import Any, Deque, Dict, List, Mapping, Optional, Sequence

from ._errors import SonaError

STDERR_TAIL_LINES = 50
STOP_TIMEOUT = 35.0  # sona's shutdown grace for a running transcription (30 s), and a margin
HURRY = 5.0  # after the second SIGTERM sona aborts what runs and exits; SIGKILL if it has not
_MAX_LINE = 64 * 1024  # a longer line is kept in pieces rather than grown without bound


def describe_exit(code: Optional[int]) -> str:
    if code is None:
        return "is still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


class SonaProcess:
    """One ``sona serve`` child. ``info`` is its parsed ready line and ``port`` the port it bound."""

    def __init__(self, argv: Sequence[str], ready_timeout: float = 30.0, env: Optional[Mapping[str, str]] = None) -> None:
        self.argv = list(argv)
        self._stderr: Deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._stdout: Deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._ready: "queue.Queue[Optional[bytes]]" = queue.Queue(maxsize=1)
        self._lock = threading.Lock()
        self._stopped = False
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(env) if env is not None else None,
            )
        except OSError as e:
            raise SonaError(None, "spawn_failed", f"could not start {self.argv[0]}: {e}") from e
        self._threads = [
            threading.Thread(target=self._drain_stdout, name=f"sona-{self.pid}-stdout", daemon=True),
            threading.Thread(target=self._drain_stderr, name=f"sona-{self.pid}-stderr", daemon=True),
        ]
        for t in self._threads:
            t.start()
        try:
            self.info: Dict[str, Any] = self._await_ready(ready_timeout)
        except BaseException:
            self.stop(timeout=2.0)
            raise
        self.port: int = self.info["port"]

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> Optional[int]:
        return self._proc.poll()

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def stderr_tail(self) -> List[str]:
        """The child's last stderr lines (at most 50)."""
        return list(self._stderr)

    def stdout_tail(self) -> List[str]:
        """Anything the child printed on stdout after its ready line (nothing, normally)."""
        return list(self._stdout)

    # -- pipes ---------------------------------------------------------------------------------

    def _lines(self, pipe):
        try:
            for raw in iter(lambda: pipe.readline(_MAX_LINE), b""):
                yield raw
        except (OSError, ValueError):  # closed under us by stop()
            return

    def _drain_stdout(self) -> None:
        first = True
        for raw in self._lines(self._proc.stdout):
            if first:
                first = False
                self._ready.put(raw)
            else:
                self._stdout.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
        if first:
            self._ready.put(None)  # EOF before any line

    def _drain_stderr(self) -> None:
        for raw in self._lines(self._proc.stderr):
            self._stderr.append(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def _settle(self, wait: float) -> Optional[int]:
        """Waits up to `wait` s for the child to exit and its stderr to be read to the end."""
        try:
            code = self._proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None
        self._threads[1].join(timeout=2.0)
        return code

    # -- start-up ------------------------------------------------------------------------------

    def _await_ready(self, timeout: float) -> Dict[str, Any]:
        try:
            raw = self._ready.get(timeout=timeout)
        except queue.Empty:
            self._kill()
            raise SonaError(
                None, "ready_timeout",
                f"sona printed no ready line within {timeout:g} s (pid {self.pid}, killed)",
                stderr=self.stderr_tail(),
            ) from None
        if raw is None:
            code = self._settle(5.0)
            raise SonaError(
                None, "process_exited",
                f"sona {describe_exit(code)} before its ready line ({' '.join(self.argv)})",
                stderr=self.stderr_tail(),
            )
        text = raw.decode("utf-8", "replace").strip()
        try:
            info = json.loads(text)
        except ValueError:
            info = None
        if not isinstance(info, dict) or info.get("status") != "ready" or not isinstance(info.get("port"), int):
            raise SonaError(None, "bad_ready_line", f"unexpected first line from sona: {text[:500]!r}", stderr=self.stderr_tail())
        return info

    # -- liveness and stopping -----------------------------------------------------------------

    def check(self, wait: float = 0.0) -> None:
        """Raises SonaError if the child is gone; with `wait`, first gives a dying child that long."""
        code = self._proc.poll()
        if code is None and wait > 0:
            code = self._settle(wait)
        if code is None:
            return
        self._threads[1].join(timeout=2.0)
        if self._stopped:
            raise SonaError(None, "process_exited", f"sona was stopped (it {describe_exit(code)})")
        raise SonaError(None, "process_exited", f"sona (pid {self.pid}) {describe_exit(code)}", stderr=self.stderr_tail())

    def _kill(self) -> None:
        try:
            self._proc.kill()
        except OSError:
            pass

    def stop(self, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """SIGTERM, wait up to `timeout` s, a second SIGTERM, HURRY s more, then SIGKILL.

        sona lets a running transcription finish for up to 30 s after SIGTERM, so the default
        waits a little longer; a second SIGTERM makes it abort the job and exit within seconds.
        Idempotent; returns the exit code.
        """
        with self._lock:
            already = self._stopped
            self._stopped = True
        if already:
            self._proc.wait()
            return self._proc.returncode
        if self._proc.poll() is None:
            try:
                if os.name == "nt":
                    self._proc.terminate()
                else:
                    self._proc.send_signal(signal.SIGTERM)
            except OSError:
                pass
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    if os.name != "nt":
                        self._proc.send_signal(signal.SIGTERM)
                    self._proc.wait(timeout=HURRY)
                except (OSError, subprocess.TimeoutExpired):
                    self._kill()
                    self._proc.wait()
        deadline = time.monotonic() + 2.0
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        # a pipe still read by its thread (a grandchild holding it open) is left to the GC
        for pipe, thread in zip((self._proc.stdout, self._proc.stderr), self._threads):
            if pipe is not None and not thread.is_alive():
                try:
                    pipe.close()
                except OSError:
                    pass
        return self._proc.returncode
