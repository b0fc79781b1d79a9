#!/usr/bin/env bash
# The GPU measurement of issue 18, as one short script for a machine with a GPU and a Vulkan driver
# (e.g. the NVIDIA H200 machine, 16 cores): Sona on the GPU against the same machine's CPU (bench
# row 14, tiny- and micro-dimension synthetic models), and Sona against whisper-cli built with
# Vulkan from the same source (lib/whisper-cli-vulkan), on 5 minutes of audio. Prints the figures;
# BENCHMARKS.md is updated with `npm run bench -- --rows 14 --update` on the same machine.
#   bash bench/gpu-machine.sh            (from the repository root, after npm ci)
set -euo pipefail
export PATH="$PWD/node_modules/.bin:$PATH"
command -v glslc >/dev/null || apt-get install -y -q glslc libvulkan-dev spirv-headers libvulkan1
npm run --silent setup
bun src/main.ts devices
BENCH_RUNS=3 bun bench/run.ts --rows 14 --out /tmp/sona-gpu-bench.md
# 5 minutes: the jfk clip tiled, greedy, no fallback, on GPU 0 (whisper-cli uses its first GPU)
audio=/tmp/sona-gpu-5min.wav
ffmpeg -v error -y -stream_loop 27 -i test/fixtures/jfk.wav -t 300 -ar 16000 -ac 1 "$audio"
for model in models/synth-tiny.en.bin models/synth-micro.en.bin; do
  echo "== $model"
  /usr/bin/time -f "sona gpu: %e s" bun src/main.ts transcribe "$model" "$audio" --no-fallback -f json --gpu-device 0 >/dev/null
  /usr/bin/time -f "sona cpu: %e s" bun src/main.ts transcribe "$model" "$audio" --no-fallback -f json --no-gpu >/dev/null
  /usr/bin/time -f "whisper-cli-vulkan: %e s" lib/whisper-cli-vulkan -m "$model" -f "$audio" -nf -bs 1 -bo 1 -np >/dev/null 2>&1
done
