"""The one exception sonapy raises for anything the server or the child process did wrong."""

from __future__ import annotations

from typing import Optional, Sequence


class SonaError(Exception):
    """A failed request or a failed ``sona`` process.

    ``status`` is the HTTP status (``None`` when no HTTP answer came: the binary was not found, the
    child exited or timed out before its ready line, or died later). ``code`` is the server's error
    code (``busy``, ``no_model``, ``invalid_request``, ``invalid_audio``, ``too_large``,
    ``internal_error``, ...) or one of sonapy's own: ``binary_not_found``, ``spawn_failed``,
    ``ready_timeout``, ``bad_ready_line``, ``process_exited``, ``connection_failed``,
    ``stream_truncated``, ``http_error``. ``stderr`` holds the child's last stderr lines when the
    process is at fault.
    """

    def __init__(
        self,
        status: Optional[int],
        code: str,
        message: str,
        *,
        param: Optional[str] = None,
        retry_after: Optional[float] = None,
        stderr: Sequence[str] = (),
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.retry_after = retry_after
        self.stderr = list(stderr)
        super().__init__(self._describe())

    def _describe(self) -> str:
        head = f"[{self.status} {self.code}]" if self.status is not None else f"[{self.code}]"
        text = f"{head} {self.message}"
        if self.stderr:
            text += "\nlast stderr lines of sona:\n" + "\n".join("  " + line for line in self.stderr)
        return text

    def __reduce__(self):  # picklable despite keyword-only arguments
        return (_rebuild, (self.status, self.code, self.message, self.param, self.retry_after, self.stderr))


def _rebuild(status, code, message, param, retry_after, stderr):
    return SonaError(status, code, message, param=param, retry_after=retry_after, stderr=stderr)
