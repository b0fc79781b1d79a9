"""Finding the ``sona`` executable."""

from __future__ import annotations

import os
import shutil
import sys
from typing import List, Optional, Tuple

from ._errors import SonaError

EXE = "sona.exe" if os.name == "nt" else "sona"


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _explicit(value: str, origin: str) -> str:
    """A binary named by the caller or by SONA_BINARY: a path, or a command name looked up on PATH."""
    path = os.path.expanduser(value)
    if _executable(path):
        return os.path.abspath(path)
    if os.sep not in value and (os.altsep is None or os.altsep not in value):
        found = shutil.which(value)
        if found:
            return found
    why = "is not an executable file" if os.path.exists(path) else "does not exist"
    raise SonaError(None, "binary_not_found", f"sona binary from {origin} ({value!r}) {why}")


def _in_virtualenv() -> bool:
    return sys.prefix != getattr(sys, "base_prefix", sys.prefix)


def candidates() -> List[Tuple[str, str]]:
    """The implicit places, in search order, as (origin, path)."""
    places: List[Tuple[str, str]] = []
    script = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c", "-m") else ""
    if script:
        places.append(("the running script's directory", os.path.join(os.path.dirname(os.path.abspath(script)), EXE)))
    if _in_virtualenv():
        bindir = "Scripts" if os.name == "nt" else "bin"
        places.append(("the virtualenv", os.path.join(sys.prefix, bindir, EXE)))
    return places


def find_binary(binary: Optional[str] = None) -> str:
    """The sona executable: ``binary``, then $SONA_BINARY, next to the script, the virtualenv's bin/, PATH.

    An explicit ``binary`` or ``SONA_BINARY`` that does not exist is an error rather than a reason to
    keep looking: silently running some other sona is worse than failing.
    """
    if binary:
        return _explicit(os.fspath(binary), "the binary argument")
    env = os.environ.get("SONA_BINARY")
    if env:
        return _explicit(env, "SONA_BINARY")
    looked = []
    for origin, path in candidates():
        looked.append(f"{origin} ({path})")
        if _executable(path):
            return path
    found = shutil.which(EXE)
    if found:
        return found
    looked.append("PATH")
    raise SonaError(
        None,
        "binary_not_found",
        "sona binary not found; looked in " + ", ".join(looked)
        + ". Pass Sona(binary=...), set SONA_BINARY, or put sona next to your script, in your virtualenv's bin/ or on PATH",
    )
