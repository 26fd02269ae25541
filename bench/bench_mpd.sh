#!/usr/bin/env bash
# Live CPU and memory: Debian's MPD against the room on the same crossfading 44.1 kHz
# playlist and the same JACK dummy server at 48 kHz (both resample with libsoxr, "high").
# Starts its own jackd (a unique server name), then MPD (config in a temp dir, JACK output,
# driven with mpc on loopback), measures it, stops it, then `stillroom run` with the same
# playlist through a template (PortAudio to the same JACK server), measures the room and its
# stillroom-audio-sink process. Prints CPU % and private memory (Private_* of
# /proc/PID/smaps_rollup) with the goals and the ratios. Cleans up every process it starts.
# With LAYERS=3 (issue 22): MPD plays one plain track (t1, repeated) and the room plays a
# piece in three layers (t1, t2, t3 at depths 0, 0.5, 1; the session at depth 0.25): three
# files decoded and resampled at once, against MPD's one. Goal: at most 1.0x MPD's CPU.
# usage: [LAYERS=3] bench/bench_mpd.sh [BUILD_DIR] [SECONDS]   (default build/, 60 s each)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
seconds="${2:-60}"
bin="$build/app/stillroom"
for tool in jackd mpd mpc sox "$bin"; do
  command -v "$tool" >/dev/null || { echo "bench_mpd: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
tmp="$(mktemp -d /tmp/stillroom-bench-mpd.XXXXXX)"
server="stillroom-bench-mpd-$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
export JACK_DEFAULT_SERVER="$server"
export JACK_NO_AUDIO_RESERVATION=1

# A free TCP port on loopback (for mpd and the room's tablet API).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# Bounded wait: up to $1 tenths of a second for the command after it to succeed.
wait_for() { local n="$1"; shift; for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
# utime + stime of a process, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Private_Clean + Private_Dirty (+ Private_Hugetlb) of a process, in kB.
private_kb() { awk '/^Private_/ {s += $2} END {print s + 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

# Four 40-second 44.1 kHz stereo tracks (chords of sines, different levels): with a 5 s
# crossfade, several crossfades fall inside each measurement.
mkdir -p "$tmp/music/audio" "$tmp/mpd/playlists"
for i in 1 2 3 4; do
  f=$((110 * i))
  sox -q -n -r 44100 -c 2 -b 16 "$tmp/music/audio/t$i.flac" synth 40 sine $f sine $((f * 3 / 2)) sine $((f * 2)) \
    tremolo 0.2 40 vol "0.$((2 + i))"
done

echo "bench_mpd: JACK dummy server $server at 48 kHz, 512-frame periods"
jackd -n "$server" --no-realtime -d dummy -r 48000 -p 512 >"$tmp/jackd.log" 2>&1 &
pids+=($!)
wait_for 100 jack_lsp -s "$server" || { echo "jackd did not start:"; cat "$tmp/jackd.log"; exit 1; }

# measure PID... : CPU % over $seconds after a 5 s warm-up and private memory (kB) at the
# end: the totals, then each process's pair.
measure() {
  sleep 5
  local -a t0=() t1=()
  local p i
  for p in "$@"; do t0+=("$(ticks "$p")"); done
  local start; start=$(date +%s.%N)
  sleep "$seconds"
  for p in "$@"; do t1+=("$(ticks "$p")"); done
  local end; end=$(date +%s.%N)
  local total_cpu=0 total_mem=0 each=""
  for i in "${!t0[@]}"; do
    local cpu mem
    cpu=$(awk -v a="${t0[$i]}" -v b="${t1[$i]}" -v s="$start" -v e="$end" -v hz="$hz" 'BEGIN { printf "%.2f", 100 * (b - a) / hz / (e - s) }')
    mem=$(private_kb "${@:$((i + 1)):1}")
    total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { printf "%.2f", a + b }')
    total_mem=$((total_mem + mem))
    each="$each $cpu $mem"
  done
  echo "$total_cpu $total_mem$each"
}

# --- MPD ---
mpd_port=$(free_port)
cat >"$tmp/mpd/mpd.conf" <<CONF
music_directory    "$tmp/music/audio"
playlist_directory "$tmp/mpd/playlists"
db_file            "$tmp/mpd/db"
log_file           "$tmp/mpd/log"
pid_file           "$tmp/mpd/pid"
state_file         "$tmp/mpd/state"
bind_to_address    "127.0.0.1"
port               "$mpd_port"
zeroconf_enabled   "no"
resampler {
  plugin  "soxr"
  quality "high"
}
audio_output {
  type        "jack"
  name        "bench"
  server_name "$server"
  client_name "mpd-bench"
}
CONF
mpd --no-daemon "$tmp/mpd/mpd.conf" >"$tmp/mpd/stdout" 2>&1 &
mpd_pid=$!
pids+=("$mpd_pid")
mpc_() { mpc -q -h 127.0.0.1 -p "$mpd_port" "$@"; }
wait_for 100 mpc_ status || { echo "mpd did not start:"; cat "$tmp/mpd/stdout" "$tmp/mpd/log" 2>/dev/null; exit 1; }
mpc_ update --wait
if [ "${LAYERS:-}" = 3 ]; then mpc_ add t1.flac; else mpc_ add /; fi
mpc_ crossfade 5
mpc_ repeat on
mpc_ play
wait_for 100 sh -c "mpc -h 127.0.0.1 -p $mpd_port status | grep -q playing" || { echo "mpd does not play"; exit 1; }
echo "bench_mpd: MPD plays; measuring ${seconds} s"
read -r mpd_cpu mpd_mem _ < <(measure "$mpd_pid")
kill "$mpd_pid"; wait "$mpd_pid" 2>/dev/null || true

# --- the room ---
lib="$tmp/music"
mkdir -p "$lib/playlists" "$lib/sessions"
cat >"$lib/room.json" <<JSON
{"room": "bench", "audio": {"device": "default", "sample_rate": 48000, "buffer_frames": 512,
  "outputs": [{"id": "room", "channels": [1, 2]}], "max_volume_db": 0}}
JSON
if [ "${LAYERS:-}" = 3 ]; then
  cat >"$lib/playlists/bench.json" <<JSON
{"crossfade": "5s", "loop": true, "tracks": [{"title": "layers", "layers": [
  {"file": "audio/t1.flac", "depth": 0}, {"file": "audio/t2.flac", "depth": 0.5},
  {"file": "audio/t3.flac", "depth": 1}]}]}
JSON
  depth=', "depth": 0.25'
  echo "bench_mpd: LAYERS=3: MPD plays t1 alone; the room plays t1, t2, t3 as one piece in layers"
else
  cat >"$lib/playlists/bench.json" <<JSON
{"crossfade": "5s", "loop": true, "tracks": [{"file": "audio/t1.flac"}, {"file": "audio/t2.flac"},
  {"file": "audio/t3.flac"}, {"file": "audio/t4.flac"}]}
JSON
  depth=""
fi
cat >"$lib/sessions/bench.json" <<JSON
{"name": "bench", "phases": [{"id": "play", "duration": "2h", "playlist": "bench", "volume_db": 0, "fade": "0s"$depth}]}
JSON
"$bin" check --library "$lib" >/dev/null # measures loudness once, so the room does not during the run
room_port=$(free_port)
"$bin" run --library "$lib" --state-dir "$tmp/state" --listen "127.0.0.1:$room_port" --start bench \
  >"$tmp/room.log" 2>&1 &
room_pid=$!
pids+=("$room_pid")
sink_pid=""
for _ in $(seq 1 100); do
  sink_pid=$(pgrep -P "$room_pid" -f stillroom-audio-sink || true)
  [ -n "$sink_pid" ] && break
  sleep 0.1
done
[ -n "$sink_pid" ] || { echo "the room started no audio sink:"; cat "$tmp/room.log"; exit 1; }
wait_for 100 sh -c "jack_lsp -s $server | grep -q PortAudio" || { echo "the room's sink is not on JACK:"; cat "$tmp/room.log"; exit 1; }
echo "bench_mpd: the room plays (sink $sink_pid); measuring ${seconds} s"
read -r room_cpu room_mem engine_cpu engine_mem sink_cpu sink_mem < <(measure "$room_pid" "$sink_pid")

awk -v mc="$mpd_cpu" -v mm="$mpd_mem" -v rc="$room_cpu" -v rm="$room_mem" -v s="$seconds" \
    -v ec="$engine_cpu" -v em="$engine_mem" -v sc="$sink_cpu" -v sm="$sink_mem" 'BEGIN {
  printf "\n%-52s %12s %12s\n", "measure (" s " s each, after 5 s)", "value", "goal";
  printf "%-52s %12.2f\n", "MPD 0.23 CPU % (of one core)", mc;
  printf "%-52s %12.2f\n", "  stillroom run CPU %", ec;
  printf "%-52s %12.2f\n", "  stillroom-audio-sink CPU %", sc;
  printf "%-52s %12.2f\n", "room + stillroom-audio-sink CPU %", rc;
  printf "%-52s %12.2f %12s %s\n", "room CPU / MPD CPU", rc / mc, "<= 1", (rc <= mc ? "met" : "MISSED");
  printf "%-52s %12d\n", "MPD private memory (kB)", mm;
  printf "%-52s %12d\n", "  stillroom run private memory (kB)", em;
  printf "%-52s %12d\n", "  stillroom-audio-sink private memory (kB)", sm;
  printf "%-52s %12d\n", "room + sink private memory (kB)", rm;
  printf "%-52s %12.2f %12s %s\n", "room private memory / MPD", rm / mm, "<= 1", (rm <= mm ? "met" : "MISSED");
}'
