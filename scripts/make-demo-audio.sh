#!/usr/bin/env bash
# Synthesises the example library's audio (calm drones, pads and a chime) with sox.
# No recorded or copyrighted music. Idempotent: existing files are kept.
# usage: scripts/make-demo-audio.sh [LIBRARY_DIR]   (default: examples/library)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
lib="${1:-$here/examples/library}"
mkdir -p "$lib/audio"
command -v sox >/dev/null || { echo "make-demo-audio: sox is missing (run scripts/install-deps.sh)" >&2; exit 1; }

LEN=150  # seconds per track

# name  f1 f2 f3  noise  tremolo-hz  level-dBFS
tracks=(
  "settle-1      110.0 165.0 220.0 pinknoise  0.08 -22"
  "settle-2      146.8 220.0 293.7 pinknoise  0.06 -23"
  "onset-1        98.0 147.0 196.0 brownnoise 0.05 -22"
  "onset-2       130.8 196.0 261.6 brownnoise 0.07 -24"
  "peak-1         73.4 110.0 146.8 brownnoise 0.04 -21"
  "peak-2         55.0  82.4 110.0 brownnoise 0.03 -22"
  "peak-3         82.4 123.5 164.8 pinknoise  0.05 -23"
  "descent-1      87.3 130.8 174.6 pinknoise  0.06 -23"
  "descent-2     116.5 174.6 233.1 pinknoise  0.06 -24"
  "return-1      261.6 329.6 392.0 pinknoise  0.10 -26"
  "return-2      196.0 246.9 293.7 pinknoise  0.09 -25"
  "grounding-1    65.4  98.0 130.8 brownnoise 0.03 -24"
  "grounding-2    61.7  92.5 123.5 brownnoise 0.03 -25"
  "integration-1 220.0 277.2 329.6 pinknoise  0.12 -26"
)

made=0
for spec in "${tracks[@]}"; do
  read -r name f1 f2 f3 noise trem level <<<"$spec"
  out="$lib/audio/$name.flac"
  [ -s "$out" ] && continue
  sox -q -r 48000 -c 4 -n -b 16 -c 2 "$out.tmp.flac" \
    synth "$LEN" sine "$f1" sine "$f2" sine "$f3" "$noise" \
    remix 1v0.30,2v0.20,3v0.10,4v0.006 1v0.26,2v0.22,3v0.12,4v0.006 \
    tremolo "$trem" 30 gain -8 reverb 60 gain -n "$level" fade q 6 "$LEN" 6
  mv "$out.tmp.flac" "$out"
  made=$((made + 1))
done

# A piece in layers (docs/depth.md): three stems of one length over one drone, from light
# (high, airy, quiet noise) to deep (low, dark): the session's depth crosses between them.
# name  f1 f2 f3  noise  tremolo-hz  level-dBFS
layers=(
  "cathedral-0   220.0 329.6 440.0 pinknoise  0.10 -24"
  "cathedral-5   110.0 164.8 220.0 pinknoise  0.06 -23"
  "cathedral-1    55.0  82.4 110.0 brownnoise 0.03 -22"
)
for spec in "${layers[@]}"; do
  read -r name f1 f2 f3 noise trem level <<<"$spec"
  out="$lib/audio/$name.flac"
  [ -s "$out" ] && continue
  sox -q -r 48000 -c 4 -n -b 16 -c 2 "$out.tmp.flac" \
    synth "$LEN" sine "$f1" sine "$f2" sine "$f3" "$noise" \
    remix 1v0.30,2v0.20,3v0.10,4v0.006 1v0.26,2v0.22,3v0.12,4v0.006 \
    tremolo "$trem" 30 gain -8 reverb 60 gain -n "$level" fade q 6 "$LEN" 6
  mv "$out.tmp.flac" "$out"
  made=$((made + 1))
done

chime="$lib/audio/chime.flac"
if [ ! -s "$chime" ]; then
  sox -q -r 48000 -c 2 -n -b 16 -c 2 "$chime.tmp.flac" synth 5 pluck E5 pluck B5 remix 1v0.6,2v0.4 1v0.4,2v0.6 gain -10 \
    reverb 70 gain -n -24 fade q 0.005 5 3
  mv "$chime.tmp.flac" "$chime"
  made=$((made + 1))
fi
echo "make-demo-audio: $made files made in $lib/audio"
