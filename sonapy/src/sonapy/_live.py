"""``Live``: the /v1/audio/live protocol over a small RFC 6455 client (the standard library has none).

Only what the protocol needs: the client side of the handshake, masked text and binary frames out,
text frames (possibly fragmented), pings and close in. A refused upgrade (429 busy, 503 no_model)
raises the server's error, read from its HTTP answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import struct
from typing import Any, Dict, Iterator, Optional, Union

from ._errors import SonaError

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _BINARY, _CLOSE, _PING, _PONG, _CONT = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


class Live(Iterator[Dict[str, Any]]):
    """A live session: ``send(samples)`` 16 kHz mono little-endian f32 bytes (or an ``array('f')``),
    iterate the server's events (``partial``, ``segment``, ``error``, ``stopped``), ``stop()``."""

    def __init__(self, host: str, port: int, timeout: Optional[float], start: Dict[str, Any]) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._buf = b""
        self._done = False
        try:
            self._handshake(host, port)
            self._send(_TEXT, json.dumps(start).encode())
            first = next(self)
        except BaseException:
            self._sock.close()
            raise
        if first.get("type") != "ready":
            self.close()
            raise SonaError(None, str(first.get("code") or "internal_error"), str(first.get("message") or first))

    def send(self, samples: Union[bytes, bytearray, memoryview, Any]) -> None:
        data = samples.tobytes() if hasattr(samples, "tobytes") else bytes(samples)
        self._send(_BINARY, data)

    def stop(self) -> None:
        """Ends the stream; the open utterance's ``segment`` and ``stopped`` still arrive."""
        if not self._done:
            self._send(_TEXT, b'{"type":"stop"}')

    def close(self) -> None:
        if not self._done:
            self._done = True
            try:
                self._send(_CLOSE, struct.pack("!H", 1000))
            except OSError:
                pass
        self._sock.close()

    def __enter__(self) -> "Live":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __iter__(self) -> "Live":
        return self

    def __next__(self) -> Dict[str, Any]:
        message = b""
        while not self._done:
            fin, op, payload = self._frame()
            if op == _PING:
                self._send(_PONG, payload)
            elif op == _CLOSE:
                self.close()
            elif op in (_TEXT, _CONT):
                message += payload
                if fin:
                    return json.loads(message.decode("utf-8"))
        raise StopIteration

    # -- the protocol's bytes -------------------------------------------------------------------

    def _handshake(self, host: str, port: int) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self._sock.sendall(
            (f"GET /v1/audio/live HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self._sock.recv(4096)
            if not chunk:
                raise SonaError(None, "connection_failed", "the server closed the connection during the upgrade")
            head += chunk
        head, self._buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        if status != 101:
            length = int(headers.get("content-length", "0"))
            while len(self._buf) < length:
                chunk = self._sock.recv(4096)
                if not chunk:
                    break
                self._buf += chunk
            raise _refusal(status, headers, self._buf[:length])
        expected = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise SonaError(None, "connection_failed", "the server's WebSocket handshake did not match")

    def _send(self, op: int, payload: bytes) -> None:
        head = bytes([0x80 | op])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        # a client must mask every frame (RFC 6455 5.3): XOR by the 4-byte key, done on whole integers
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "little") if n else 0
        masked = (int.from_bytes(payload, "little") ^ key).to_bytes(n, "little") if n else b""
        self._sock.sendall(head + mask + masked)

    def _read(self, n: int) -> bytes:
        while len(self._buf) < n:
            chunk = self._sock.recv(max(4096, n - len(self._buf)))
            if not chunk:
                self._done = True
                raise StopIteration
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def _frame(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        payload = self._read(n)  # the server never masks
        return bool(b0 & 0x80), b0 & 0x0F, payload


def _refusal(status: int, headers: Dict[str, str], body: bytes) -> SonaError:
    try:
        err = json.loads(body.decode("utf-8")).get("error") or {}
    except (ValueError, AttributeError):
        err = {}
    retry = headers.get("retry-after")
    return SonaError(
        status,
        str(err.get("code") or "http_error"),
        str(err.get("message") or f"HTTP {status}"),
        param=err.get("param"),
        retry_after=float(retry) if retry else None,
    )
