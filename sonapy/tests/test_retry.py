"""The busy retry (``retry_busy=``) and the spawn helper's ``parallel=``/``queue=``.

The retry runs against a scripted server on 127.0.0.1 (the standard library's HTTPServer) that
answers from a list and records each request: when it came, when its answer left, and the
wait that answer asked for, so each retry is checked against that wait, never a fixed time. The
pass-through runs the real server (and the stand-in, which reports its arguments).
"""

import io
import json
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _support import FAKE_SONA, MICRO, SKIP_REAL, SONA, write_wav
from sonapy import Client, RetryBusy, Sona, SonaError
from sonapy._retry import busy_wait

BUSY = (429, {"retry-after-ms": "150", "Retry-After": "1"}, {"code": "busy", "message": "server is busy", "type": "rate_limit_error", "param": None})
NO_MODEL = (503, {"x-should-retry": "false"}, {"code": "no_model", "message": "no model loaded", "type": "server_error", "param": None})
OK = (200, {}, None)


class Scripted:
    """Answers transcriptions from `answers` in order (the last one repeats) and records them."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.seen = []  # dicts: arrived, answered (the answer's time), status, wait_ms, body
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                entry = {"arrived": time.monotonic()}
                outer.seen.append(entry)
                entry["body"] = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, error = outer.answers.pop(0) if len(outer.answers) > 1 else outer.answers[0]
                stream = b'name="stream"\r\n\r\ntrue\r\n' in entry["body"]
                if error is not None:
                    data = json.dumps({"error": error}).encode()
                elif stream:
                    data = b'{"type":"progress","progress":0}\n{"type":"result","text":"ok","language":"en","duration":1}\n'
                else:
                    data = json.dumps({"text": "ok"}).encode()
                # recorded before the answer leaves: the client cannot act on it any earlier
                entry.update(answered=time.monotonic(), status=status, wait_ms=float(headers.get("retry-after-ms", "nan")))
                self.send_response(status)
                self.send_header("Content-Type", "application/x-ndjson" if stream and error is None else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def statuses(self):
        return [s["status"] for s in self.seen]


class BusyRetryTest(unittest.TestCase):
    def serve(self, *answers):
        server = Scripted(answers)
        self.addCleanup(server.close)
        return server

    def assert_waits_honoured(self, seen):
        for before, after in zip(seen, seen[1:]):
            self.assertEqual(before["status"], 429)
            self.assertGreaterEqual(after["arrived"] - before["answered"], before["wait_ms"] / 1000)

    def test_off_by_default_busy_raises_after_one_request(self):
        server = self.serve(BUSY, OK)
        with self.assertRaises(SonaError) as cm:
            Client(server.url).transcribe(b"RIFF fake audio")
        self.assertEqual((cm.exception.status, cm.exception.code, cm.exception.retry_after), (429, "busy", 1.0))
        self.assertEqual(server.statuses(), [429])

    def test_on_waits_retry_after_ms_and_resends_the_same_audio(self):
        server = self.serve(BUSY, BUSY, OK)
        audio = io.BytesIO(b"xx" + b"\x01\x02" * 1000)
        audio.read(2)  # sent from where it stands, each time
        result = Client(server.url, retry_busy=RetryBusy(retries=5, max_wait=30.0)).transcribe(audio)
        self.assertEqual(result, {"text": "ok"})
        self.assertEqual(server.statuses(), [429, 429, 200])
        self.assert_waits_honoured(server.seen)
        bodies = [s["body"] for s in server.seen]
        self.assertEqual(bodies[0], bodies[1])
        self.assertEqual(bodies[0], bodies[2])
        self.assertIn(b"\x01\x02" * 1000 + b"\r\n--", bodies[0])
        self.assertNotIn(b"xx\x01", bodies[0])

    def test_a_stream_is_retried_before_its_first_event(self):
        server = self.serve(BUSY, OK)
        events = list(Client(server.url, retry_busy=True).transcribe(b"audio", stream=True))
        self.assertEqual([e["type"] for e in events], ["progress", "result"])
        self.assertEqual(server.statuses(), [429, 200])
        self.assert_waits_honoured(server.seen)

    def test_after_the_last_retry_busy_is_raised(self):
        server = self.serve(BUSY)
        with self.assertRaises(SonaError) as cm:
            Client(server.url, retry_busy=RetryBusy(retries=2)).transcribe(b"audio")
        self.assertEqual(cm.exception.code, "busy")
        self.assertEqual(server.statuses(), [429, 429, 429])
        self.assert_waits_honoured(server.seen)

    def test_a_non_busy_error_is_not_retried(self):
        server = self.serve(NO_MODEL, OK)
        with self.assertRaises(SonaError) as cm:
            Client(server.url, retry_busy=RetryBusy(retries=5)).transcribe(b"audio")
        self.assertEqual((cm.exception.status, cm.exception.code), (503, "no_model"))
        self.assertEqual(server.statuses(), [503])

    def test_busy_wait_reads_the_headers_in_order_and_caps_them(self):
        self.assertEqual(busy_wait("250", "1", 60.0), 0.25)
        self.assertEqual(busy_wait(None, "3", 60.0), 3.0)
        self.assertEqual(busy_wait(None, "Thu, 01 Jan 1970 00:00:10 GMT", 60.0, now=4.0), 6.0)
        self.assertEqual(busy_wait(None, None, 60.0), 1.0)
        self.assertEqual(busy_wait("x", "", 60.0), 1.0)
        self.assertEqual(busy_wait("90000", None, 60.0), 60.0)
        with self.assertRaises(TypeError):
            Client("http://127.0.0.1:1", retry_busy=3)


class SpawnPassThroughTest(unittest.TestCase):
    def test_parallel_and_queue_become_arguments(self):
        with Sona(FAKE_SONA, parallel=3, queue=4, retry_busy=True) as sona:
            argv = sona.health()["argv"]
            self.assertEqual(argv[argv.index("--parallel") + 1], "3")
            self.assertEqual(argv[argv.index("--queue") + 1], "4")
            self.assertEqual(sona.retry_busy, RetryBusy(retries=3, max_wait=60.0))
        with Sona(FAKE_SONA) as sona:
            self.assertNotIn("--parallel", sona.health()["argv"])
            self.assertEqual(sona.retry_busy.retries, 0)

    @unittest.skipIf(SKIP_REAL, SKIP_REAL)
    def test_the_real_server_has_two_slots(self):
        with Sona(SONA, parallel=2) as sona:
            self.assertEqual(sona.health()["slots"], {"busy": 0, "total": 2, "queued": 0})

    @unittest.skipIf(SKIP_REAL, SKIP_REAL)
    def test_the_real_server_queues_behind_a_live_session(self):
        with Sona(SONA, model=MICRO, queue=1) as sona:
            with sona.live():  # holds the one slot
                with sona.transcribe(write_wav("one.wav", 1.0), stream=True, no_fallback=True) as events:
                    self.assertEqual([next(events), next(events)], [{"type": "progress", "progress": 0}, {"type": "queued", "position": 1}])


if __name__ == "__main__":
    unittest.main()
