"""A stand-in for ``sona serve`` with failure modes on demand (``--fake=MODE`` among its args).

It speaks just enough of the API for sonapy's tests: /health, /v1/models/load (echoes the body)
and /v1/audio/transcriptions (echoes the parsed form; with stream=true, NDJSON events).

Modes: serve (default), exit-early, no-ready, bad-ready, chatty, die-later, ignore-term,
die-mid-stream, error-event, slow-term (exits 12 s after SIGTERM, like a long job finishing within
sona's 30 s grace), term-twice (exits on the second SIGTERM, as sona stops waiting then).
/health also reports the arguments it was started with.
"""

import email.parser
import email.policy
import hashlib
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

ARGS = sys.argv[1:]
MODE = next((a.split("=", 1)[1] for a in ARGS if a.startswith("--fake=")), "serve")


def err(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-sona"

    def log_message(self, fmt, *args):
        err("fake-sona: " + fmt % args)

    def _json(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self._json({"status": "ok", "proxy_header": self.headers.get("Proxy-Connection"), "argv": ARGS})
            if MODE == "die-later":
                threading.Timer(0.2, die, ("fatal: out of memory (fake)", 3)).start()
        else:
            self._json({"error": {"code": "not_found", "message": "no route", "type": "invalid_request_error", "param": None}}, 404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/v1/models/load":
            return self._json({"echo": json.loads(body), "content_type": self.headers.get("Content-Type")})
        if self.path != "/v1/audio/transcriptions":
            return self._json({"error": {"code": "not_found", "message": "no route"}}, 404)
        ctype = self.headers.get("Content-Type", "")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
        )
        fields, file = {}, None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if name == "file":
                file = {"filename": part.get_filename(), "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest(),
                        "content_type": part.get_content_type()}
            else:
                fields.setdefault(name, []).append(payload.decode("utf-8"))
        echo = {"fields": fields, "file": file, "content_length": length, "body_length": len(body),
                "accept": self.headers.get("Accept")}
        if fields.get("stream") != ["true"]:
            return self._json(echo)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()

        def send(event):
            self.wfile.write((json.dumps(event) + "\n").encode())
            self.wfile.flush()

        send({"type": "progress", "progress": 0})
        if MODE == "die-mid-stream":
            time.sleep(0.1)
            die("fatal: ErrorOutOfHostMemory (fake)", 3)
        if MODE == "error-event":
            return send({"type": "error", "code": "internal_error", "message": "whisper failed (fake)"})
        for i in range(3):
            time.sleep(0.3)  # the client must see each event before the next is written
            send({"type": "segment", "start": i, "end": i + 1, "text": f" w{i}", "id": i, "no_speech_prob": 0.0})
        send({"type": "progress", "progress": 100})
        send({"type": "result", "text": "w0 w1 w2", "language": "en", "duration": 3.0, "echo": echo})


def die(line, code):
    err(line)
    os._exit(code)


TERMS = []


def on_term(*_):
    TERMS.append(time.monotonic())
    if MODE == "ignore-term":
        return
    if MODE == "slow-term":
        if len(TERMS) == 1:
            err("fake-sona: SIGTERM; finishing the running job first")
            threading.Thread(target=lambda: (time.sleep(12), die("fake-sona: job done, exiting", 0)), daemon=True).start()
        return
    if MODE == "term-twice" and len(TERMS) == 1:
        err("fake-sona: SIGTERM; waiting for the running job")
        return
    if MODE == "term-twice":
        die("fake-sona: second SIGTERM; exiting", 0)
    sys.exit(0)


def main():
    if MODE == "exit-early":
        # serve --port N [--parent-pid P] model ...: the first argument that is not an option's value
        values = {i + 1 for i, a in enumerate(ARGS) if a in ("--port", "--parent-pid")}
        model = next((a for i, a in enumerate(ARGS[1:], 1) if not a.startswith("-") and i not in values), "?")
        err("sona: loading model")
        err(f"sona: error: model file not found: {model}")
        sys.exit(1)
    if MODE == "no-ready":
        err("sona: thinking...")
        time.sleep(120)
        return
    if MODE == "bad-ready":
        print("this is not a ready line", flush=True)
        time.sleep(120)
        return
    signal.signal(signal.SIGTERM, on_term)
    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port = server.server_address[1]
    print(json.dumps({"commit": "fake", "port": port, "status": "ready", "version": "0.0.0"}), flush=True)
    err(f"sona: listening on http://127.0.0.1:{port}")
    if MODE == "chatty":
        # far more than a pipe holds (64 KiB): an undrained pipe blocks these writes forever
        noise = "x" * 1000
        for i in range(2000):
            sys.stderr.write(f"noise {i} {noise}\n")
            sys.stdout.write(f"stdout noise {i} {noise}\n")
        sys.stdout.flush()
        err("chatty: done")
    try:
        server.serve_forever(poll_interval=0.1)
    except SystemExit:
        server.server_close()
        raise


if __name__ == "__main__":
    main()
