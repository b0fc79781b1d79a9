"""Sona.live(): /v1/audio/live through sonapy's own small WebSocket client, against the real server.

Real speech (two espeak-ng sentences with silence around them) and the synthetic micro model,
whose words are meaningless: the test checks events and times, never the text.
"""

import array
import subprocess
import unittest
import wave

from _support import MICRO, SKIP_REAL, SONA, tmp_path
from sonapy import Sona, SonaError


def _spoken(text: str) -> array.array:
    """espeak-ng's rendering of ``text`` as 16 kHz float samples (linear resampling is enough here)."""
    path = tmp_path("spoken.wav")
    subprocess.run(["espeak-ng", "-w", path, text], check=True)
    with wave.open(path, "rb") as w:
        rate, raw = w.getframerate(), w.readframes(w.getnframes())
    pcm = array.array("h")
    pcm.frombytes(raw)
    out = array.array("f")
    for i in range(len(pcm) * 16000 // rate):
        at = i * rate / 16000
        k = int(at)
        nxt = pcm[k + 1] if k + 1 < len(pcm) else pcm[k]
        out.append((pcm[k] * (1 - (at - k)) + nxt * (at - k)) / 32768)
    return out


@unittest.skipIf(SKIP_REAL, SKIP_REAL)
class LiveTest(unittest.TestCase):
    def test_two_sentences_two_segments_and_the_gate(self):
        silence = array.array("f", [0.0]) * 16000
        samples = silence + _spoken("The quick brown fox jumps over the lazy dog.") + silence * 2 + _spoken("Speech detection finds where people talk.") + silence
        with Sona(SONA) as sona:
            sona.load_model(MICRO)
            with sona.live(language="en", partial_mode="off") as live:
                # the session holds the gate: a second session and a transcription are refused
                with self.assertRaises(SonaError) as cm:
                    sona.live()
                self.assertEqual((cm.exception.status, cm.exception.code), (429, "busy"))
                for i in range(0, len(samples), 1600):
                    live.send(samples[i : i + 1600])
                live.stop()
                events = list(live)
            self.assertEqual([e["type"] for e in events], ["segment", "segment", "stopped"])
            first, second = events[0], events[1]
            self.assertAlmostEqual(first["start"], 1.0, delta=0.3)
            self.assertLess(first["end"], second["start"])
            self.assertGreater(second["start"], first["end"] + 1.5)
            # a bad start is the server's error, and the next session works
            with self.assertRaises(SonaError) as cm:
                sona.live(partial_mode="sometimes")
            self.assertEqual(cm.exception.code, "invalid_request")
            with sona.live() as again:
                again.stop()
                self.assertEqual([e["type"] for e in again], ["stopped"])


if __name__ == "__main__":
    unittest.main()
