"""``Sona``: a ``sona serve`` child plus a client for it."""

from __future__ import annotations

import atexit
import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from ._binary import find_binary
from ._client import Client
from ._live import Live
from ._multipart import FileInput
from ._process import STOP_TIMEOUT, SonaProcess
from ._retry import RetryBusy, RetryBusyOption


class Sona:
    """Spawns ``sona serve --port <port> [--parallel N] [--queue N] [model] [args...]`` and talks to it over HTTP.

    >>> with Sona(model="base.en") as sona:
    ...     print(sona.transcribe("meeting.wav")["text"])

    The child is stopped by ``stop()``, by leaving the ``with`` block, or at interpreter exit.
    Every request first checks that the child is alive; one that died is reported as a
    ``SonaError`` (code ``process_exited``) carrying its last stderr lines.

    ``parallel`` (transcriptions at once) and ``queue`` (how many wait for a slot instead of
    429) become ``--parallel``/``--queue``; ``retry_busy`` is the client's busy retry (see
    ``Client``), off by default.
    """

    def __init__(
        self,
        binary: Optional[Union[str, "os.PathLike[str]"]] = None,
        port: int = 0,
        model: Optional[Union[str, "os.PathLike[str]"]] = None,
        args: Sequence[str] = (),
        ready_timeout: float = 30.0,
        parallel: Optional[int] = None,
        queue: Optional[int] = None,
        retry_busy: RetryBusyOption = None,
    ) -> None:
        self.binary = find_binary(os.fspath(binary) if binary is not None else None)
        argv = [self.binary, "serve", "--port", str(port)]
        # sona exits with this process even when it is not sona's parent (a wrapper in between,
        # or a shell that has exited), unless the caller's own args name another owner
        args = [str(a) for a in args]
        if not any(a == "--parent-pid" or a.startswith("--parent-pid=") for a in args):
            argv += ["--parent-pid", str(os.getpid())]
        if parallel is not None:
            argv += ["--parallel", str(parallel)]
        if queue is not None:
            argv += ["--queue", str(queue)]
        if model:
            argv.append(os.fspath(model))
        argv.extend(args)
        self._process = SonaProcess(argv, ready_timeout=ready_timeout)
        atexit.register(self.stop)
        self.port: int = self._process.port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._client = Client(self.base_url, check=self._process.check, retry_busy=retry_busy)

    # -- the process ---------------------------------------------------------------------------

    @property
    def info(self) -> Dict[str, Any]:
        """The ready line: {"commit", "port", "status", "version"}."""
        return dict(self._process.info)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.alive

    @property
    def returncode(self) -> Optional[int]:
        return self._process.returncode

    def stderr_tail(self) -> List[str]:
        """The child's last stderr lines (at most 50)."""
        return self._process.stderr_tail()

    def stop(self, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """SIGTERM, wait up to `timeout` s (sona lets a running transcription finish for up to
        30 s), then a second SIGTERM (sona aborts it), and SIGKILL 5 s later.

        Idempotent; returns the child's exit code (0 after a clean shutdown).
        """
        atexit.unregister(self.stop)
        return self._process.stop(timeout=timeout)

    def __enter__(self) -> "Sona":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.alive else f"exited {self.returncode}"
        return f"<Sona pid={self.pid} {self.base_url} {state}>"

    # -- the API -------------------------------------------------------------------------------

    @property
    def retry_busy(self) -> "RetryBusy":
        """The client's busy-retry policy in effect (retries 0: off)."""
        return self._client.retry_busy

    def health(self) -> Dict[str, Any]:
        """GET /health: {"status": "ok", "slots": {"busy", "total", "queued"}}."""
        return self._client.health()

    def ready(self) -> Dict[str, Any]:
        """GET /ready: {"model", "status": "ready" or "unloaded_idle"}, or {"message", "status": "not_ready"} (not raised)."""
        return self._client.ready()

    def load_model(self, path_or_name: Union[str, "os.PathLike[str]"], **options: Any) -> Dict[str, Any]:
        """POST /v1/models/load. ``options``: gpu_device, no_gpu. Loading the same model again is a no-op."""
        return self._client.load_model(os.fspath(path_or_name), **options)

    def unload_model(self) -> Dict[str, Any]:
        """DELETE /v1/models (idempotent)."""
        return self._client.unload_model()

    def models(self) -> Dict[str, Any]:
        """GET /v1/models: {"object": "list", "data": [...]}."""
        return self._client.models()

    def transcribe(
        self,
        file: FileInput,
        response_format: str = "json",
        language: Optional[str] = None,
        prompt: Optional[str] = None,
        translate: bool = False,
        word_timestamps: bool = False,
        stream: bool = False,
        **fields: Any,
    ) -> Union[Dict[str, Any], str, Iterator[Dict[str, Any]]]:
        """POST /v1/audio/transcriptions.

        ``file`` is a path, bytes or a binary file object. ``fields`` are the server's other form
        fields (n_threads=2, no_fallback=True, timestamp_granularities=["word"], ...); bools are
        sent as true/false, lists as repeated fields, None is left out.

        Returns a dict for json/verbose_json, a str for text/srt/vtt, and with ``stream=True`` an
        iterator of event dicts ({"type": "progress"|"segment"|"result", ...}) yielded as they
        arrive. A stream's ``error`` event raises SonaError (status 200, the event's code). The
        request is sent at once (a 429 raises here); ``close()`` on the iterator, or leaving a
        ``with`` block around it, disconnects, and the server aborts the transcription.
        """
        return self._client.transcribe(
            file,
            response_format=response_format,
            language=language,
            prompt=prompt,
            translate=translate,
            word_timestamps=word_timestamps,
            stream=stream,
            **fields,
        )

    def live(self, **start: Any) -> "Live":
        """GET /v1/audio/live: ``send()`` 16 kHz mono f32 samples, iterate the events, ``stop()``.

            with sona.live(language="en") as live:
                live.send(samples)          # bytes of little-endian f32, or array("f")
                live.stop()
                for event in live:          # partial, segment, stopped (error events too)
                    print(event)
        """
        return self._client.live(**start)
