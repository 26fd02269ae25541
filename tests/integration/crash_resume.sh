#!/usr/bin/env bash
# Kills the real `stillroom run` with SIGKILL at 20 random moments of an accelerated
# session and checks every resume: the same session, the same phase the timeline says,
# the session clock and the time since dose continuing as if nothing happened (the time
# the process was down counts), and the dose mark unchanged; the session's music chosen
# again and every light re-asserted to a target.
# usage: crash_resume.sh STILLROOM_BINARY SOURCE_DIR [KILLS] [SEED]
set -uo pipefail
bin="$1"; src="$2"; kills="${3:-20}"; seed="${4:-20261121}"
speed=60
tmp="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && { kill -9 "$pid"; wait "$pid"; } 2>/dev/null; rm -rf "$tmp"' EXIT
cp -a "$src/examples/library" "$tmp/lib" # -a keeps mtimes: the loudness cache stays valid
rm -rf "$tmp/lib/state"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
api="http://127.0.0.1:$port/api/v1"
RANDOM=$seed

start_room() {
  "$bin" run --library "$tmp/lib" --state-dir "$tmp/state" --speed $speed --audio null \
      --listen "127.0.0.1:$port" "$@" >>"$tmp/room.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "$api/state" -o /dev/null -H "Authorization: Bearer ${token:-x}" && return 0
    curl -s "http://127.0.0.1:$port/" -o /dev/null && return 0; sleep 0.05; done
  echo "the room did not come up"; return 1
}
state() { curl -s -H "Authorization: Bearer $token" "$api/state"; }
field() { python3 -c "import json,sys; s=json.load(sys.stdin)['session']; print($1)"; }

token=""
start_room --start im-ketamine || exit 1
token=$(curl -s -X POST "$api/login" -H 'Content-Type: application/json' -d '{"pin":"1357"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -s -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $token" "$api/session/dose" -d '{}' -o /dev/null
first=$(state)
id=$(echo "$first" | field "s['id']")
t0=$(date +%s.%N)
start0=$(echo "$first" | field "s['since_start']")
dose_at=$(echo "$first" | field "s['since_start'] - s['since_dose']")
"$bin" plan --library "$tmp/lib" --session im-ketamine --format json > "$tmp/plan.jsonl"
survived=0
for k in $(seq 1 "$kills"); do
  sleep "0.$(( RANDOM % 9 + 1 ))"
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  sleep "1.$(( RANDOM % 9 ))" # down for 1 to 2 s: that time must count
  start_room || break
  # The drivers are back: the session's music chosen again and every light holding a target
  # (re-asserted). The sped-up clock turns audio output off; what the room plays after a
  # resume (place, level, fade-in) is checked by test_crash_resume_audio.cpp in real time.
  back=""
  for _ in $(seq 1 100); do
    back=$(state | python3 -c '
import json, sys
st = json.load(sys.stdin)
s = st["session"]
dev = {d["id"]: d for d in st["devices"]}
problems = []
if s is None: problems.append("no session")
else:
    if s.get("now_playing") is None: problems.append("no music")
    lights = dev.get("lights", {}).get("lights", [])
    if not lights or any("on" not in l for l in lights): problems.append("a light has no target")
print("; ".join(problems))')
    [ -z "$back" ] && break
    sleep 0.05
  done
  if [ -n "$back" ]; then echo "kill $k: after the resume: $back"; fi
  s=$(state)
  now=$(date +%s.%N)
  ok=$(python3 - "$s" "$id" "$t0" "$now" "$start0" "$dose_at" "$speed" "$tmp/plan.jsonl" <<'PY'
import json, sys
s = json.loads(sys.argv[1])["session"]
sid, t0, now, start0, dose_at, speed = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
problems = []
if s is None: problems.append("no session after restart")
else:
    if s["id"] != sid: problems.append(f"session id {s['id']} != {sid}")
    expected = start0 + (now - t0) * speed          # the down time counts as elapsed
    if abs(s["since_start"] - expected) > 0.4 * speed: problems.append(f"since_start {s['since_start']:.1f} != {expected:.1f}")
    if s["since_dose"] is None or abs((s["since_start"] - s["since_dose"]) - dose_at) > 0.01:
        problems.append("the dose mark moved")
    # The phase the dose-anchored timeline says (the dose came at dose_at, not at the plan's).
    plan = [json.loads(l) for l in open(sys.argv[8])]
    phases = [(p["dose"], p["phase"]) for p in plan if p["kind"] == "phase" and p["dose"] is not None and p["dose"] >= 0]
    want = None
    for at_dose, ph in phases:
        if s["since_dose"] >= at_dose - 0.5 * speed: want = ph
    if want and s["phase"]["id"] != want and abs(s["since_dose"] - min((abs(s["since_dose"] - a), a) for a, _ in phases)[1]) > 0.5 * speed:
        problems.append(f"phase {s['phase']['id']} != {want}")
print("ok" if not problems else "; ".join(problems))
PY
)
  [ -n "$back" ] && ok="$ok; drivers: $back"
  if [ "$ok" = "ok" ]; then survived=$((survived + 1)); else echo "kill $k: $ok"; fi
done
grep -c "resumed session $id" "$tmp/room.log" > "$tmp/resumed"
echo "crash-resume: $survived of $kills kills survived; $(cat "$tmp/resumed") resumes logged"
echo "crash-resume: $survived passed, $((kills - survived)) failed"
[ "$survived" = "$kills" ]
