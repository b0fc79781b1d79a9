"""HTTP to a running sona server with http.client.

http.client never consults proxy settings, so requests go straight to 127.0.0.1 even when
http_proxy/HTTP_PROXY/ALL_PROXY are set (a corporate proxy intercepting localhost broke the
original's clients). A connection per request keeps the client safe to share between threads.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.parse
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from ._errors import SonaError
from ._live import Live
from ._multipart import FileInput, Multipart, form_value
from ._retry import RetryBusyOption, busy_wait, retry_policy

JSON_FORMATS = ("json", "verbose_json")
_NET_ERRORS = (ConnectionError, http.client.HTTPException, socket.timeout, OSError)


def _retry_after(resp: http.client.HTTPResponse) -> Optional[float]:
    value = resp.getheader("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_from_response(resp: http.client.HTTPResponse, body: bytes) -> SonaError:
    """The server's {"error": {code, message, type, param}} as a SonaError (anything else as http_error)."""
    text = body.decode("utf-8", "replace")
    try:
        err = json.loads(text).get("error")
    except (ValueError, AttributeError):
        err = None
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return SonaError(resp.status, str(err.get("code") or "http_error"), err["message"], param=err.get("param"), retry_after=_retry_after(resp))
    return SonaError(resp.status, "http_error", f"HTTP {resp.status} {resp.reason}: {text[:500]}", retry_after=_retry_after(resp))


class EventStream(Iterator[Dict[str, Any]]):
    """An iterator of stream events that also owns its connection: ``close()`` (or leaving a
    ``with`` block, or garbage collection) disconnects even before the first event was read."""

    def __init__(self, events: Iterator[Dict[str, Any]], conn: http.client.HTTPConnection) -> None:
        self._events = events
        self._conn = conn

    def __iter__(self) -> "EventStream":
        return self

    def __next__(self) -> Dict[str, Any]:
        return next(self._events)

    def close(self) -> None:
        self._events.close()  # type: ignore[attr-defined]
        self._conn.close()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class Client:
    """The HTTP API of one server. ``check(wait)`` (optional) raises if the server's process died.

    ``retry_busy`` (off by default): a transcription that gets 429 ``busy`` sleeps what the answer
    says (``retry-after-ms``, else ``Retry-After``; at most ``max_wait`` seconds) and sends the
    audio again, up to ``retries`` times; the busy error is raised after the last. ``True`` means
    ``RetryBusy(retries=3, max_wait=60.0)``. Only transcriptions are retried (a stream before its
    first event), and only ``busy``. Every input can be sent again: a path is reopened, bytes
    reused, a seekable file object rewound to where it was (an unseekable one, a pipe, was read
    into memory anyway). The wait is a ``time.sleep`` in the calling thread.
    """

    def __init__(
        self,
        base_url: str,
        timeout: Optional[float] = None,
        check: Optional[Callable[[float], None]] = None,
        retry_busy: RetryBusyOption = None,
    ) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"expected an http:// base URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._host, self._port = parts.hostname, parts.port or 80
        self._timeout = timeout
        self._check = check or (lambda wait: None)
        self.retry_busy = retry_policy(retry_busy)  # the policy in effect (retries 0: off)

    def live(self, **start: Any) -> Live:
        """GET /v1/audio/live (WebSocket): a Live session once the server is ready. ``start`` holds
        the start message's fields (language, prompt, vad_model, partial_mode, partial_interval_ms)."""
        self._check(0.0)
        return Live(self._host, self._port, self._timeout, {"type": "start", **{k: v for k, v in start.items() if v is not None}})

    # -- plumbing ------------------------------------------------------------------------------

    def _send(self, method: str, path: str, headers: Mapping[str, str], body: Union[bytes, Multipart, None] = None):
        self._check(0.0)
        conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k, v)
            length = body.length if isinstance(body, Multipart) else len(body or b"")
            if body is not None or method in ("POST", "PUT"):
                conn.putheader("Content-Length", str(length))
            conn.endheaders()
            try:
                if isinstance(body, Multipart):
                    for chunk in body.chunks():
                        conn.send(chunk)
                elif body:
                    conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer (429, 413) without reading the body: read its answer
            return conn, conn.getresponse()
        except SonaError:
            conn.close()
            raise
        except _NET_ERRORS as e:
            conn.close()
            self._check(1.0)  # a dead server explains the failure better than the socket error
            raise SonaError(None, "connection_failed", f"{method} {self.base_url}{path} failed: {e!r}") from e

    def _call(self, method: str, path: str, body: Any = None, accept_status: Tuple[int, ...] = ()) -> Any:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn, resp = self._send(method, path, headers, data)
        try:
            raw = self._read(resp, method, path)
        finally:
            conn.close()
        if resp.status >= 400 and resp.status not in accept_status:
            raise error_from_response(resp, raw)
        return json.loads(raw.decode("utf-8"))

    def _read(self, resp: http.client.HTTPResponse, method: str, path: str) -> bytes:
        try:
            return resp.read()
        except _NET_ERRORS as e:
            self._check(1.0)
            raise SonaError(None, "connection_failed", f"{method} {self.base_url}{path}: reading the answer failed: {e!r}") from e

    # -- the API -------------------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        return self._call("GET", "/health")

    def ready(self) -> Dict[str, Any]:
        """{"status": "ready" or "unloaded_idle", "model": ...} or, with no model loaded, {"status": "not_ready", ...}."""
        return self._call("GET", "/ready", accept_status=(503,))

    def load_model(self, path_or_name: str, **options: Any) -> Dict[str, Any]:
        """Loads a model file or name; options are the load body's other fields (gpu_device, no_gpu)."""
        body = {"path": str(path_or_name)}
        body.update({k: v for k, v in options.items() if v is not None})
        return self._call("POST", "/v1/models/load", body)

    def unload_model(self) -> Dict[str, Any]:
        return self._call("DELETE", "/v1/models")

    def models(self) -> Dict[str, Any]:
        return self._call("GET", "/v1/models")

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
        form: List[Tuple[str, str]] = []
        named = dict(response_format=response_format, language=language, prompt=prompt)
        named.update(translate=translate or None, word_timestamps=word_timestamps or None, stream=stream or None)
        for name, value in list(named.items()) + list(fields.items()):
            if name == "timestamp_granularities":  # not a valid keyword with its brackets
                name = "timestamp_granularities[]"
            for v in form_value(value) or ():
                form.append((name, v))
        body = Multipart(form, file)
        accept = "application/x-ndjson" if stream else "application/json, text/plain"
        retry = 0
        while True:
            conn, resp = self._send("POST", "/v1/audio/transcriptions", {"Accept": accept, "Content-Type": body.content_type}, body)
            if resp.status < 400 and stream:
                return EventStream(self._events(conn, resp), conn)
            try:
                raw = self._read(resp, "POST", "/v1/audio/transcriptions")
            finally:
                conn.close()
            if resp.status < 400:
                if (resp.getheader("Content-Type") or "").startswith("application/json"):
                    return json.loads(raw.decode("utf-8"))
                return raw.decode("utf-8")
            err = error_from_response(resp, raw)
            if err.code != "busy" or retry >= self.retry_busy.retries:
                raise err
            retry += 1
            time.sleep(busy_wait(resp.getheader("retry-after-ms"), resp.getheader("Retry-After"), self.retry_busy.max_wait))

    def _events(self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse) -> Iterator[Dict[str, Any]]:
        """NDJSON events as they arrive. Ends after `result`; an `error` event raises SonaError.

        Closing the generator early (break, or garbage collection) closes the connection, which
        makes the server abort the transcription.
        """
        done = False
        try:
            while True:
                try:
                    line = resp.readline()
                except _NET_ERRORS:
                    break
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                event = json.loads(line.decode("utf-8"))
                if event.get("type") == "error":
                    done = True
                    raise SonaError(resp.status, str(event.get("code") or "internal_error"), str(event.get("message", "")))
                yield event
                if event.get("type") == "result":
                    done = True
                    return
            if not done:
                self._check(1.0)
                raise SonaError(resp.status, "stream_truncated", "the event stream ended without a result or error event")
        finally:
            resp.close()
            conn.close()
