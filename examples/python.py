#!/usr/bin/env python3
"""sonapy: spawn `sona serve`, load a model, transcribe in a few formats, stream, stop.

    PYTHONPATH=sonapy/src python3 examples/python.py [model] [audio.wav]

Without arguments it uses the synthetic micro model (models/synth-micro.en.bin, made by
`bun scripts/make-test-model.ts`) and a generated tone. That model has random weights: its
"words" (t35379, ...) are meaningless placeholders. Pass a real model (e.g. base.en after
`sona pull base.en`) and a recording for real text. The binary: $SONA_BINARY, else this repo's
dist/sona, else scripts/sona-dev (Bun running src/main.ts, before `npm run build`).
"""

import math
import os
import struct
import sys
import tempfile
import wave

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sonapy", "src"))  # not needed once sonapy is installed

from sonapy import Sona, SonaError  # noqa: E402

SYNTHETIC = os.path.join(ROOT, "models", "synth-micro.en.bin")


def tone_wav(seconds: float = 3.0) -> str:
    """A 16 kHz mono WAV of a warbling tone: enough to exercise the pipeline."""
    path = os.path.join(tempfile.mkdtemp(prefix="sona-example-"), "tone.wav")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        frames = bytearray()
        for i in range(int(seconds * 16000)):
            t = i / 16000
            v = 0.3 * (0.5 + 0.5 * math.sin(2 * math.pi * 4 * t)) * math.sin(2 * math.pi * 220 * t)
            frames += struct.pack("<h", int(v * 32767))
        w.writeframes(bytes(frames))
    return path


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else SYNTHETIC
    audio = sys.argv[2] if len(sys.argv) > 2 else tone_wav()
    dist = os.path.join(ROOT, "dist", "sona")
    dev = os.path.join(ROOT, "scripts", "sona-dev")  # before `npm run build`: Bun runs src/main.ts
    binary = os.environ.get("SONA_BINARY") or (dist if os.path.exists(dist) else dev)
    # a random model fails every window and would retry each at higher temperatures: skip that
    fast = {"no_fallback": True} if model == SYNTHETIC else {}
    if model == SYNTHETIC:
        print("note: synthetic model with random weights; its words are meaningless\n", file=sys.stderr)

    with Sona(binary=binary) as sona:  # stopped (SIGTERM) when the block ends
        print("ready line:", sona.info)
        print("load:", sona.load_model(model))
        print("json:", sona.transcribe(audio, **fast))
        print("srt:\n" + sona.transcribe(audio, response_format="srt", **fast))
        for event in sona.transcribe(audio, stream=True, **fast):  # events as they arrive
            print("event:", event)
        try:
            sona.transcribe(audio, response_format="docx")
        except SonaError as e:  # HTTP errors carry status, code and message
            print(f"error: status={e.status} code={e.code} message={e.message!r}")


if __name__ == "__main__":
    main()
