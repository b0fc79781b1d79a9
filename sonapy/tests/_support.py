"""What the tests share: the sona binary under test, the repo's models and WAV fixtures.

The binary is, in order: $SONA_BINARY, the compiled ``dist/sona`` of this repo, or a wrapper
script that execs ``bun src/main.ts`` (the dev server). ``BINARY_KIND`` says which ran; the test
runner prints it once.
"""

from __future__ import annotations

import math
import os
import shutil
import stat
import struct
import sys
import tempfile
import wave
from typing import Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
# the package under test is the source tree, even where another sonapy is installed
sys.path.insert(0, os.path.join(HERE, "..", "src"))
MODELS = os.path.join(REPO, "models")
MICRO = os.path.join(MODELS, "synth-micro.en.bin")
TINY = os.path.join(MODELS, "synth-tiny.en.bin")
FAKE = os.path.join(HERE, "fake_sona.py")

_tmp = tempfile.mkdtemp(prefix="sonapy-tests-")


def _cleanup() -> None:
    shutil.rmtree(_tmp, ignore_errors=True)


import atexit  # noqa: E402

atexit.register(_cleanup)


def tmp_path(name: str) -> str:
    return os.path.join(_tmp, name)


def write_script(name: str, body: str) -> str:
    path = tmp_path(name)
    with open(path, "w") as f:
        f.write(body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _find_bun() -> Optional[str]:
    local = os.path.join(REPO, "node_modules", ".bin", "bun")
    return local if os.path.exists(local) else shutil.which("bun")


def _find_sona() -> Tuple[Optional[str], str]:
    env = os.environ.get("SONA_BINARY")
    if env:
        return env, f"SONA_BINARY={env}"
    dist = os.path.join(REPO, "dist", "sona")
    if os.access(dist, os.X_OK):
        return dist, f"compiled binary {dist}"
    bun = _find_bun()
    if bun:
        main = os.path.join(REPO, "src", "main.ts")
        wrapper = write_script("sona", f'#!/bin/sh\nexec "{bun}" "{main}" "$@"\n')
        return wrapper, f"dev wrapper: {bun} {main} (dist/sona not built)"
    return None, "none (no dist/sona, no bun)"


SONA, BINARY_KIND = _find_sona()
HAVE_MODELS = os.path.exists(MICRO)
SKIP_REAL = None if SONA and HAVE_MODELS else f"needs a sona binary ({BINARY_KIND}) and {MICRO} (bun scripts/make-test-model.ts)"

# A stand-in for sona, for what the real server cannot be made to do on demand (die, hang, spam).
FAKE_SONA = write_script("fake-sona", f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')


def speech_like(seconds: float, seed: int = 7, rate: int = 16000) -> bytes:
    """16-bit mono PCM: two tones under a syllable-rate envelope plus a little noise (no words)."""
    n = int(seconds * rate)
    out = bytearray(n * 2)
    s = seed
    for i in range(n):
        s = (s * 1103515245 + 12345) & 0xFFFFFFFF
        t = i / rate
        env = 0.5 + 0.5 * math.sin(2 * math.pi * 4 * t)
        v = 0.3 * env * (math.sin(2 * math.pi * 220 * t) + 0.5 * math.sin(2 * math.pi * 660 * t)) + 0.01 * (s / 2**32 - 0.5)
        struct.pack_into("<h", out, i * 2, max(-32768, min(32767, int(round(v * 32767)))))
    return bytes(out)


def write_wav(name: str, seconds: float, rate: int = 16000) -> str:
    """A 16 kHz mono 16-bit WAV written with the stdlib wave module (cached per name)."""
    path = tmp_path(name)
    if not os.path.exists(path):
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(speech_like(seconds, rate=rate))
    return path


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still "exists"; /proc tells them apart on Linux
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
