"""Process handling and the HTTP client against a stand-in server (tests/fake_sona.py).

The stand-in does on demand what the real server cannot be made to do: die early, die later, die
mid-stream, hang before its ready line, flood its pipes, ignore SIGTERM.
"""

import hashlib
import io
import os
import threading
import time
import unittest
from unittest import mock

import _support
from _support import FAKE_SONA, pid_exists
from sonapy import Sona, SonaError


def fake(mode="serve", args=(), **kw):
    return Sona(FAKE_SONA, args=[f"--fake={mode}", *args], **kw)


class StartupTest(unittest.TestCase):
    def test_exit_before_ready_reports_stderr(self):
        with self.assertRaises(SonaError) as cm:
            Sona(FAKE_SONA, model="/no/such/model.bin", args=["--fake=exit-early"])
        err = cm.exception
        self.assertEqual((err.status, err.code), (None, "process_exited"))
        self.assertIn("exited with code 1", err.message)
        self.assertIn("sona: error: model file not found: /no/such/model.bin", err.stderr)
        self.assertIn("model file not found", str(err))

    def test_ready_timeout_kills_the_child(self):
        # the stand-in would wait 120 s: the error coming at all means the timeout fired
        with self.assertRaises(SonaError) as cm:
            fake("no-ready", ready_timeout=1.0)
        err = cm.exception
        self.assertEqual(err.code, "ready_timeout")
        self.assertIn("sona: thinking...", err.stderr)
        pid = int(err.message.split("pid ")[1].split(",")[0])
        self.assertFalse(pid_exists(pid))

    def test_bad_ready_line(self):
        with self.assertRaises(SonaError) as cm:
            fake("bad-ready", ready_timeout=10)
        self.assertEqual(cm.exception.code, "bad_ready_line")
        self.assertIn("this is not a ready line", cm.exception.message)

    def test_spawn_failure(self):
        not_a_program = _support.write_script("not-a-program", "\x7fELF garbage")
        with self.assertRaises(SonaError) as cm:
            Sona(not_a_program)
        self.assertEqual(cm.exception.code, "spawn_failed")


class LifecycleTest(unittest.TestCase):
    def test_chatty_child_never_blocks(self):
        # 2 MB on each pipe after the ready line: without draining, the child blocks on write and
        # never answers; with it, /health answers and only the last 50 stderr lines are kept.
        with fake("chatty") as sona:
            answer = {}
            t = threading.Thread(target=lambda: answer.update(sona.health()), daemon=True)
            t.start()
            t.join(30)
            self.assertEqual(answer.get("status"), "ok", "the child blocked on a full pipe")
            deadline = time.monotonic() + 10
            while "chatty: done" not in sona.stderr_tail() and time.monotonic() < deadline:
                time.sleep(0.05)
            tail = sona.stderr_tail()
            self.assertLessEqual(len(tail), 50)
            self.assertIn("chatty: done", tail)

    def test_child_dying_later_is_reported_on_next_call(self):
        sona = fake("die-later")
        self.addCleanup(sona.stop)
        self.assertEqual(sona.health()["status"], "ok")
        deadline = time.monotonic() + 10
        while sona.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        with self.assertRaises(SonaError) as cm:
            sona.models()
        err = cm.exception
        self.assertEqual((err.status, err.code), (None, "process_exited"))
        self.assertIn("exited with code 3", err.message)
        self.assertIn("fatal: out of memory (fake)", err.stderr)

    def test_stop_is_idempotent_and_final(self):
        sona = fake()
        pid = sona.pid
        self.assertTrue(pid_exists(pid))
        self.assertEqual(sona.stop(), 0)
        self.assertFalse(pid_exists(pid))
        self.assertFalse(sona.alive)
        self.assertEqual(sona.stop(), 0)
        with self.assertRaises(SonaError) as cm:
            sona.health()
        self.assertEqual(cm.exception.code, "process_exited")
        self.assertIn("stopped", cm.exception.message)

    def test_stop_kills_a_child_that_ignores_sigterm(self):
        sona = fake("ignore-term")
        code = sona.stop(timeout=1.0)
        self.assertEqual(code, -9)
        self.assertFalse(pid_exists(sona.pid))

    def test_stop_waits_for_a_job_finishing_within_the_servers_grace(self):
        # sona lets a running transcription finish for up to 30 s after SIGTERM; a kill after 10 s
        # (the old default) cut such a job off
        sona = fake("slow-term")
        self.assertEqual(sona.stop(), 0)

    def test_stop_sends_a_second_sigterm_before_sigkill(self):
        sona = fake("term-twice")
        self.assertEqual(sona.stop(timeout=0.5), 0)  # the second SIGTERM ended it, not SIGKILL
        self.assertIn("fake-sona: second SIGTERM; exiting", sona.stderr_tail())

    def test_passes_its_own_pid_as_the_owner(self):
        with fake() as sona:
            argv = sona.health()["argv"]
            self.assertEqual(argv[argv.index("--parent-pid") + 1], str(os.getpid()))
        with fake(args=["--parent-pid", "1"]) as sona:
            self.assertEqual(sona.health()["argv"].count("--parent-pid"), 1)

    def test_context_manager_stops(self):
        with fake() as sona:
            pid = sona.pid
        self.assertFalse(pid_exists(pid))


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sona = fake()

    @classmethod
    def tearDownClass(cls):
        cls.sona.stop()

    def test_proxies_are_bypassed(self):
        dead = "http://127.0.0.1:9"  # the discard port: a proxy there would fail every request
        env = {k: dead for k in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")}
        with mock.patch.dict(os.environ, dict(env, no_proxy="", NO_PROXY="")):
            answer = self.sona.health()
        self.assertEqual(answer["status"], "ok")
        self.assertIsNone(answer["proxy_header"])

    def test_load_model_body(self):
        answer = self.sona.load_model("base.en", no_gpu=True, gpu_device=None)
        self.assertEqual(answer["echo"], {"path": "base.en", "no_gpu": True})
        self.assertEqual(answer["content_type"], "application/json")

    def test_multipart_fields_and_file(self):
        path = _support.write_wav("one-second.wav", 1.0)
        with open(path, "rb") as f:
            data = f.read()
        echo = self.sona.transcribe(
            path, language="de", prompt='Grüße, "quoted"\r\nline', translate=True,
            n_threads=2, no_fallback=True, temperature=0.5, timestamp_granularities=["word", "segment"],
            best_of=None,
        )
        fields = echo["fields"]
        self.assertEqual(fields["response_format"], ["json"])
        self.assertEqual(fields["language"], ["de"])
        self.assertEqual(fields["prompt"], ['Grüße, "quoted"\r\nline'])
        self.assertEqual(fields["translate"], ["true"])
        self.assertEqual(fields["n_threads"], ["2"])
        self.assertEqual(fields["no_fallback"], ["true"])
        self.assertEqual(fields["temperature"], ["0.5"])
        self.assertEqual(fields["timestamp_granularities[]"], ["word", "segment"])
        for absent in ("best_of", "stream", "word_timestamps"):
            self.assertNotIn(absent, fields)
        self.assertEqual(echo["file"]["filename"], "one-second.wav")
        self.assertEqual(echo["file"]["size"], len(data))
        self.assertEqual(echo["file"]["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(echo["content_length"], echo["body_length"])

    def test_file_objects_and_bytes(self):
        data = _support.speech_like(0.25)
        with open(_support.write_wav("quarter.wav", 0.25), "rb") as fh:
            fh.read(10)  # from the current position, like any file reader would
            rest = fh.read()
            fh.seek(10)
            echo = self.sona.transcribe(fh)
        self.assertEqual(echo["file"], {"filename": "quarter.wav", "size": len(rest),
                                        "sha256": hashlib.sha256(rest).hexdigest(),
                                        "content_type": "application/octet-stream"})
        echo = self.sona.transcribe(io.BytesIO(data))
        self.assertEqual(echo["file"]["sha256"], hashlib.sha256(data).hexdigest())
        echo = self.sona.transcribe(data)
        self.assertEqual(echo["file"]["size"], len(data))

    def test_missing_file(self):
        with self.assertRaises(FileNotFoundError):
            self.sona.transcribe("/no/such/audio.wav")

    def test_stream_yields_events_as_they_arrive(self):
        path = _support.write_wav("quarter.wav", 0.25)
        arrivals = []
        for event in self.sona.transcribe(path, stream=True):
            arrivals.append((time.monotonic(), event))
        types = [e["type"] for _, e in arrivals]
        self.assertEqual(types, ["progress", "segment", "segment", "segment", "progress", "result"])
        # the stand-in sleeps 0.3 s between segments: a buffering client would get them at once
        self.assertGreater(arrivals[3][0] - arrivals[1][0], 0.4)
        self.assertEqual(arrivals[-1][1]["echo"]["accept"], "application/x-ndjson")

    def test_breaking_out_of_a_stream_closes_it(self):
        path = _support.write_wav("quarter.wav", 0.25)
        events = self.sona.transcribe(path, stream=True)
        self.assertEqual(next(events)["type"], "progress")
        events.close()
        self.assertEqual(self.sona.health()["status"], "ok")
        # closed before the first event: the connection goes too (a plain generator would keep it)
        with self.sona.transcribe(path, stream=True) as events:
            pass
        self.assertTrue(events._conn.sock is None)

    def test_http_error_body(self):
        with self.assertRaises(SonaError) as cm:
            self.sona._client._call("GET", "/nope")
        err = cm.exception
        self.assertEqual((err.status, err.code, err.message), (404, "not_found", "no route"))


class StreamFailureTest(unittest.TestCase):
    def test_error_event_raises(self):
        with fake("error-event") as sona:
            events = sona.transcribe(_support.write_wav("quarter.wav", 0.25), stream=True)
            self.assertEqual(next(events)["type"], "progress")
            with self.assertRaises(SonaError) as cm:
                next(events)
        self.assertEqual((cm.exception.status, cm.exception.code), (200, "internal_error"))
        self.assertEqual(cm.exception.message, "whisper failed (fake)")

    def test_child_dying_mid_stream_is_reported_with_stderr(self):
        with fake("die-mid-stream") as sona:
            events = sona.transcribe(_support.write_wav("quarter.wav", 0.25), stream=True)
            with self.assertRaises(SonaError) as cm:
                list(events)
        err = cm.exception
        self.assertEqual(err.code, "process_exited")
        self.assertIn("fatal: ErrorOutOfHostMemory (fake)", err.stderr)


if __name__ == "__main__":
    unittest.main()
