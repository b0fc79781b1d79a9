"""sonapy against the real server (dist/sona, or `bun src/main.ts` until it is built; see _support).

The synthetic micro model has random weights: its "words" (t35379, ...) are meaningless, so these
tests check shapes, order and behaviour, never the text. ``no_fallback=True`` keeps a random model
from retrying every window at higher temperatures (seconds instead of tens of seconds).
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import unittest

import _support
from _support import MICRO, SKIP_REAL, SONA, pid_exists, write_wav
from sonapy import Sona, SonaError

FAST = {"no_fallback": True}
sys.stderr.write(f"sonapy tests: sona = {_support.BINARY_KIND}\n")


@unittest.skipIf(SKIP_REAL, SKIP_REAL)
class ModelLifecycleTest(unittest.TestCase):
    def test_load_ready_models_unload(self):
        with Sona(SONA) as sona:
            self.assertEqual(sona.info["status"], "ready")
            self.assertEqual(sona.info["port"], sona.port)
            self.assertEqual(sona.health(), {"status": "ok", "slots": {"busy": 0, "total": 1, "queued": 0}})
            self.assertEqual(sona.ready()["status"], "not_ready")
            self.assertEqual(sona.models()["data"], [])
            with self.assertRaises(SonaError) as cm:
                sona.transcribe(write_wav("one.wav", 1.0), **FAST)
            self.assertEqual((cm.exception.status, cm.exception.code), (503, "no_model"))

            loaded = sona.load_model(MICRO)
            self.assertEqual({k: loaded[k] for k in ("model", "status")}, {"model": "synth-micro.en.bin", "status": "loaded"})
            self.assertIsInstance(loaded["device"], str)  # "cpu", or the GPU it runs on
            self.assertEqual(sona.load_model(MICRO)["status"], "loaded")  # idempotent
            ready = sona.ready()
            self.assertEqual({k: ready[k] for k in ("model", "status", "slots")}, {"model": "synth-micro.en.bin", "status": "ready", "slots": {"busy": 0, "total": 1, "queued": 0}})
            self.assertEqual([m["id"] for m in sona.models()["data"]], ["synth-micro.en.bin"])

            with self.assertRaises(SonaError) as cm:
                sona.load_model(os.path.join(_support.MODELS, "sample.wav"))
            self.assertEqual(cm.exception.status, 400)
            self.assertEqual(cm.exception.param, "path")
            self.assertEqual(sona.ready()["status"], "ready")  # the old model stays

            self.assertEqual(sona.unload_model(), {"status": "unloaded"})
            self.assertEqual(sona.unload_model(), {"status": "unloaded"})
            self.assertEqual(sona.ready()["status"], "not_ready")


@unittest.skipIf(SKIP_REAL, SKIP_REAL)
class TranscribeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sona = Sona(SONA, model=MICRO)
        cls.wav = write_wav("one.wav", 1.0)

    @classmethod
    def tearDownClass(cls):
        cls.sona.stop()

    def test_json(self):
        result = self.sona.transcribe(self.wav, **FAST)
        self.assertIsInstance(result, dict)
        self.assertIsInstance(result["text"], str)
        self.assertTrue(result["text"])

    def test_text(self):
        text = self.sona.transcribe(self.wav, response_format="text", **FAST)
        self.assertIsInstance(text, str)
        self.assertTrue(text.strip())

    def test_verbose_json(self):
        result = self.sona.transcribe(self.wav, response_format="verbose_json", word_timestamps=True, **FAST)
        self.assertEqual(result["task"], "transcribe")
        self.assertAlmostEqual(result["duration"], 1.0, places=2)
        self.assertGreaterEqual(len(result["segments"]), 1)
        seg = result["segments"][0]
        for key in ("id", "start", "end", "text", "no_speech_prob"):
            self.assertIn(key, seg)
        self.assertIn("words", result)

    def test_srt(self):
        srt = self.sona.transcribe(self.wav, response_format="srt", **FAST)
        self.assertIsInstance(srt, str)
        self.assertRegex(srt, r"^1\n\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d\n")

    def test_vtt(self):
        vtt = self.sona.transcribe(self.wav, response_format="vtt", **FAST)
        self.assertRegex(vtt, r"^WEBVTT\n\n\d\d:\d\d:\d\d\.\d\d\d --> ")

    def test_file_object_language_prompt(self):
        with open(self.wav, "rb") as fh:
            result = self.sona.transcribe(fh, language="en", prompt="Hello.", **FAST)
        self.assertIsInstance(result["text"], str)

    def test_invalid_field_is_a_400_naming_it(self):
        with self.assertRaises(SonaError) as cm:
            self.sona.transcribe(self.wav, response_format="docx")
        err = cm.exception
        self.assertEqual((err.status, err.code, err.param), (400, "invalid_request", "response_format"))

    def test_invalid_audio(self):
        with self.assertRaises(SonaError) as cm:
            self.sona.transcribe(b"this is not audio at all" * 10)
        self.assertEqual((cm.exception.status, cm.exception.code), (400, "invalid_audio"))

    def test_stream(self):
        wav = write_wav("five.wav", 5.0)
        events = list(self.sona.transcribe(wav, stream=True, **FAST))
        types = [e["type"] for e in events]
        self.assertEqual(types[0], "progress")
        self.assertEqual(types[-1], "result")
        self.assertEqual(types.count("result"), 1)
        self.assertIn("segment", types)
        self.assertLess(types.index("segment"), types.index("result"))
        progress = [e["progress"] for e in events if e["type"] == "progress"]
        self.assertEqual(progress, sorted(progress))
        seg = next(e for e in events if e["type"] == "segment")
        for key in ("start", "end", "text", "id", "no_speech_prob"):
            self.assertIn(key, seg)
        result = events[-1]
        self.assertEqual(result["text"], "".join(e["text"] for e in events if e["type"] == "segment").strip())
        self.assertAlmostEqual(result["duration"], 5.0, places=2)


@unittest.skipIf(SKIP_REAL, SKIP_REAL)
class BusyTest(unittest.TestCase):
    def test_stream_starts_at_once_and_a_second_transcription_gets_429(self):
        long_wav = write_wav("sixty.wav", 60.0)
        with Sona(SONA, model=MICRO) as sona:
            # Once the first event arrives the upload is in and the server holds its one slot;
            # with temperature fallback a random model takes far longer than this test on 60 s.
            first = sona.transcribe(long_wav, stream=True)
            # events are read as they come: the first while the whole still runs (it takes minutes)
            self.assertEqual(next(first), {"type": "progress", "progress": 0})
            # answered while the stream is still open: the 429 did not wait behind it
            with self.assertRaises(SonaError) as cm:
                sona.transcribe(write_wav("one.wav", 1.0), **FAST)
            err = cm.exception
            self.assertEqual((err.status, err.code), (429, "busy"))
            self.assertGreater(err.retry_after, 0)
            self.assertEqual(sona.health(), {"status": "ok", "slots": {"busy": 1, "total": 1, "queued": 0}})

            # a second request from another thread sees the same
            errors = []
            t = threading.Thread(target=lambda: self._capture(errors, lambda: sona.transcribe(long_wav)))
            t.start()
            t.join(30)
            self.assertEqual([e.code for e in errors], ["busy"])

            # closing the stream disconnects; the server aborts and the next request gets through
            first.close()
            deadline = time.monotonic() + 20
            while True:
                try:
                    self.assertIn("text", sona.transcribe(write_wav("one.wav", 1.0), **FAST))
                    break
                except SonaError as e:
                    if e.code != "busy" or time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

    @staticmethod
    def _capture(errors, fn):
        try:
            fn()
        except SonaError as e:
            errors.append(e)


@unittest.skipIf(SKIP_REAL, SKIP_REAL)
class ProcessTest(unittest.TestCase):
    def test_bad_model_on_the_command_line(self):
        with self.assertRaises(SonaError) as cm:
            Sona(SONA, model="/no/such/model.bin")
        err = cm.exception
        self.assertEqual((err.status, err.code), (None, "process_exited"))
        self.assertTrue(any("/no/such/model.bin" in line for line in err.stderr), err.stderr)
        self.assertIn("/no/such/model.bin", str(err))

    def test_invalid_model_file_on_the_command_line(self):
        not_a_model = os.path.join(_support.MODELS, "sample.wav")
        with self.assertRaises(SonaError) as cm:
            Sona(SONA, model=not_a_model)
        self.assertEqual(cm.exception.code, "process_exited")
        self.assertTrue(cm.exception.stderr)

    def test_stop(self):
        sona = Sona(SONA)
        pid = sona.pid
        self.assertEqual(sona.stop(), 0)  # SIGTERM: a clean shutdown
        self.assertFalse(pid_exists(pid))
        self.assertEqual(sona.stop(), 0)
        with self.assertRaises(SonaError) as cm:
            sona.health()
        self.assertEqual(cm.exception.code, "process_exited")

    def test_killed_server_is_reported_on_next_call(self):
        with Sona(SONA) as sona:
            deadline = time.monotonic() + 10  # the "listening" log line follows the ready line
            while not any("listening" in line for line in sona.stderr_tail()) and time.monotonic() < deadline:
                time.sleep(0.02)
            os.kill(sona.pid, signal.SIGKILL)
            with self.assertRaises(SonaError) as cm:
                sona.health()
        err = cm.exception
        self.assertEqual(err.code, "process_exited")
        self.assertIn("SIGKILL", err.message)
        self.assertTrue(any("listening" in line for line in err.stderr), err.stderr)

    def test_verbose_server_keeps_answering(self):
        # whisper.cpp's and ggml's logs on stderr (--verbose; `-v` after `serve` did not enable them)
        with Sona(SONA, model=MICRO, args=["--verbose"]) as sona:
            wav = write_wav("one.wav", 1.0)
            for _ in range(3):
                self.assertIn("text", sona.transcribe(wav, **FAST))
            self.assertTrue(sona.alive)
            self.assertGreater(len(sona.stderr_tail()), 10)
            self.assertLessEqual(len(sona.stderr_tail()), 50)

    def test_atexit_stops_the_child(self):
        # exit-with-parent off, so only sonapy's atexit hook can stop it
        script = textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {os.path.join(_support.HERE, "..", "src")!r})
            from sonapy import Sona
            sona = Sona({SONA!r}, args=["--exit-with-parent=false"])
            print(sona.pid, flush=True)
        """)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        pid = int(out.stdout.strip())
        try:
            self.assertFalse(pid_exists(pid))
        finally:
            if pid_exists(pid):
                os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    unittest.main()
