#!/usr/bin/env bash
# Plain shell and curl: spawn `sona serve --port 0`, read the port from its ready line, load a
# model, transcribe, stream, stop.
#
#   examples/curl.sh [model] [audio]
#
# Without arguments: the synthetic micro model (models/synth-micro.en.bin, made by
# `bun scripts/make-test-model.ts`) and a generated tone. That model has random weights: its
# "words" (t35379, ...) are meaningless placeholders. The binary: $SONA_BINARY, else dist/sona,
# else `bun src/main.ts`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:-$root/models/synth-micro.en.bin}"
work="$(mktemp -d)"
audio="${2:-$work/tone.wav}"
if [ -n "${SONA_BINARY:-}" ]; then sona=("$SONA_BINARY")
elif [ -x "$root/dist/sona" ]; then sona=("$root/dist/sona")
else sona=("${BUN:-$root/node_modules/.bin/bun}" "$root/src/main.ts"); fi
# the synthetic model fails every window; without this it retries each at higher temperatures
fast=(); [ -z "${1:-}" ] && fast=(-F no_fallback=true) && echo "note: synthetic model, meaningless words" >&2
# any proxy in the environment must not see requests to 127.0.0.1
export no_proxy="127.0.0.1${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1${NO_PROXY:+,$NO_PROXY}"

if [ ! -e "$audio" ]; then  # 3 s of a warbling tone, 16 kHz mono 16-bit, written by python3
  python3 -c 'import math,struct,sys,wave
w=wave.open(sys.argv[1],"wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
w.writeframes(b"".join(struct.pack("<h",int(9830*(0.5+0.5*math.sin(8*math.pi*i/16000))*math.sin(440*math.pi*i/16000))) for i in range(48000)))' "$audio"
fi

# 1. start: stdout holds exactly one line, the ready line; logs go to stderr
"${sona[@]}" serve --port 0 >"$work/ready" 2>"$work/stderr" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do [ -s "$work/ready" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/ready")
[ -n "$port" ] || { echo "sona did not start:" >&2; cat "$work/stderr" >&2; exit 1; }
base="http://127.0.0.1:$port"
echo "ready line: $(cat "$work/ready")"

# 2. load a model (a path, or a name such as base.en after `sona pull base.en`)
curl -sS "$base/v1/models/load" -H 'content-type: application/json' -d "{\"path\": \"$model\"}"; echo

# 3. transcribe: json, then srt
curl -sS "$base/v1/audio/transcriptions" -F file=@"$audio" "${fast[@]}"; echo
curl -sS "$base/v1/audio/transcriptions" -F file=@"$audio" -F response_format=srt "${fast[@]}"

# 4. stream: one NDJSON event per line as it happens (-N: no buffering)
curl -sSN "$base/v1/audio/transcriptions" -H 'accept: application/x-ndjson' -F file=@"$audio" -F stream=true "${fast[@]}"

# 5. errors are JSON with a code; a second transcription while one runs gets 429 "busy"
curl -sS "$base/v1/audio/transcriptions" -F file=@"$audio" -F response_format=docx; echo

# 6. stop: SIGTERM lets a running transcription finish, then sona exits 0
kill -TERM $pid; wait $pid; echo "sona exited with $?"
trap 'rm -rf "$work"' EXIT
