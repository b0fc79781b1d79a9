"""multipart/form-data, written by hand (the standard library has a parser but no encoder).

The file is streamed from disk in 64 KiB pieces with an exact Content-Length, so an hour of audio
is never held in memory and the server can refuse an oversized upload from the header alone.
"""

from __future__ import annotations

import io
import os
import secrets
from typing import IO, Any, Iterator, List, Optional, Sequence, Tuple, Union

from ._errors import SonaError

CHUNK = 64 * 1024
FileInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]


def _quote(value: str) -> str:
    # What browsers do in a Content-Disposition parameter: percent-escape the quote and line breaks.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class _Source:
    """The file part's bytes: a path (opened when sent), an in-memory buffer or an open binary file.

    Every kind can be sent again (a busy retry): a path is reopened, a seekable file is rewound to
    where it was when the request was made, and an unseekable one was read into memory at once.
    """

    def __init__(self, file: FileInput) -> None:
        self._path: Optional[str] = None
        self._data: Optional[bytes] = None
        self._fh: Optional[IO[bytes]] = None
        self._start = 0
        if isinstance(file, (str, os.PathLike)):
            path = os.fspath(file)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"audio file not found: {path}")
            self._path, self.name, self.size = path, os.path.basename(path), os.path.getsize(path)
        elif isinstance(file, (bytes, bytearray, memoryview)):
            self._data, self.name, self.size = bytes(file), "audio", len(file)
        elif hasattr(file, "read"):
            name = getattr(file, "name", None)
            self.name = os.path.basename(name) if isinstance(name, str) and name else "audio"
            self._fh, self.size = file, self._remaining(file)
            if self.size is not None:
                self._start = file.tell()
            else:  # a pipe or a socket: nothing to do but read it
                self._data = file.read()
                self._fh, self.size = None, len(self._data)
        else:
            raise TypeError(f"file must be a path, bytes or a binary file object, not {type(file).__name__}")

    @staticmethod
    def _remaining(fh: IO[bytes]) -> Optional[int]:
        try:
            if not fh.seekable():
                return None
            here = fh.tell()
            end = fh.seek(0, io.SEEK_END)
            fh.seek(here)
            return end - here
        except (AttributeError, OSError, ValueError):
            return None

    def chunks(self) -> Iterator[bytes]:
        if self._data is not None:
            for i in range(0, len(self._data), CHUNK):
                yield self._data[i : i + CHUNK]
            return
        fh = open(self._path, "rb") if self._path is not None else self._fh
        assert fh is not None
        if fh is self._fh:
            fh.seek(self._start)
        sent = 0
        try:
            while sent < self.size:
                piece = fh.read(min(CHUNK, self.size - sent))
                if not piece:
                    break
                if isinstance(piece, str):
                    raise TypeError("the file object must be opened in binary mode ('rb')")
                sent += len(piece)
                yield piece
        finally:
            if self._path is not None:
                fh.close()
        if sent != self.size:
            raise SonaError(None, "invalid_request", f"the audio file shrank while it was being sent ({sent} of {self.size} bytes)")


class Multipart:
    """A multipart body: text fields, then one file part named ``file``."""

    def __init__(self, fields: Sequence[Tuple[str, str]], file: FileInput, content_type: str = "application/octet-stream") -> None:
        self.boundary = "sonapy-" + secrets.token_hex(16)
        self._source = _Source(file)
        parts: List[bytes] = []
        for name, value in fields:
            parts.append(
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
                + value.encode("utf-8")
                + b"\r\n"
            )
        parts.append(
            (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{_quote(self._source.name)}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode("utf-8")
        )
        self._head = b"".join(parts)
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def length(self) -> int:
        return len(self._head) + self._source.size + len(self._tail)

    def chunks(self) -> Iterator[bytes]:
        yield self._head
        yield from self._source.chunks()
        yield self._tail


def form_value(value: Any) -> Optional[List[str]]:
    """A Python value as form values: bools as true/false, lists repeated, None left out."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]
