#!/usr/bin/env bash
# Command-line behaviour: help, exit codes, check, plan, and crash-resume of `run`.
# usage: cli_test.sh STILLROOM_BINARY SOURCE_DIR
set -uo pipefail
bin="$1"
src="$2"
lib="$src/examples/library"
tmp="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0

expect() { # expect NAME EXPECTED_EXIT COMMAND...
  local name="$1" want="$2"
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" = "$want" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name: exit $got, wanted $want"
    sed 's/^/  | /' "$tmp/out" "$tmp/err" | head -20
  fi
}

contains() { # contains NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1: \"$3\" not in $(basename "$2")"
    sed 's/^/  | /' "$2" | head -20
  fi
}

# --help everywhere, exit codes 0/1/2
expect "help" 0 "$bin" --help
contains "help lists check" "$tmp/out" "check"
# Every command's summary starts in the same column, at least two spaces after its name (a
# name longer than the column once ran into its summary: "broker-conthe broker's users").
cols=$(awk '/^commands:/ { on = 1; next } on && /^$/ { on = 0 } on { match($0, /^  [a-z-]+  +/); print RLENGTH }' "$tmp/out" | sort -u)
if [ -n "$cols" ] && [ "$(echo "$cols" | wc -l)" = 1 ] && [ "$cols" -gt 0 ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL: help: the command summaries are not in one column ($cols)"; cat "$tmp/out"
fi
for c in demo run check plan render playlist devices vitals; do
  expect "$c --help" 0 "$bin" "$c" --help
  contains "$c --help shows usage" "$tmp/out" "usage: stillroom $c"
done
expect "no command" 2 "$bin"
expect "unknown command" 2 "$bin" frobnicate
expect "unknown option" 2 "$bin" check --library "$lib" --colour
expect "missing option" 2 "$bin" plan --library "$lib"
expect "bad format" 2 "$bin" plan --library "$lib" --session im-ketamine --format xml

# check
expect "check example library" 0 "$bin" check --library "$lib"
contains "check summary" "$tmp/out" "0 errors"
expect "check json" 0 "$bin" check --library "$lib" --format json
contains "check json ok" "$tmp/out" '"ok": true'
cp -r "$lib" "$tmp/broken"
sed -i 's/"duration": "30m"/"duration": "thirty"/' "$tmp/broken/sessions/im-ketamine.json"
sed -i 's/"crossfade": "12s"/"crossfad": "12s"/' "$tmp/broken/playlists/settle.json"
expect "check broken library" 1 "$bin" check --library "$tmp/broken"
contains "names the session file and path" "$tmp/out" 'sessions/im-ketamine.json: phases[2].duration: expected a duration like "15m"'
contains "names the playlist typo" "$tmp/out" 'playlists/settle.json: crossfad: unknown key (did you mean "crossfade"?)'
# room.json vitals (docs/vitals.md): the monitors' section is checked like the rest
mkdir -p "$tmp/vitals/sessions"
cat > "$tmp/vitals/room.json" <<'JSON'
{"room": "v", "mqtt": {"url": "mqtt://127.0.0.1:1883"},
 "vitals": {"sources": [{"id": "oxi", "topic": "ward/oxi1", "format": "ble-glucose"},
                        {"id": "hr", "topic": "ha/hr", "format": "number"}],
            "stale_after": "soon"}}
JSON
expect "check vitals" 1 "$bin" check --library "$tmp/vitals"
contains "names the vitals format" "$tmp/out" 'room.json: vitals.sources[0].format: expected json, number, ble-plx-continuous, ble-plx-spot or ble-bps, got "ble-glucose"'
contains "names the missing field" "$tmp/out" 'room.json: vitals.sources[1].field: required'
contains "names the bad duration" "$tmp/out" 'room.json: vitals.stale_after: expected a duration'
expect "check missing library" 1 "$bin" check --library "$tmp/nowhere"

# plan
expect "plan text" 0 "$bin" plan --library "$lib" --session im-ketamine
contains "plan text dose" "$tmp/out" "dose at 15:00 after start"
expect "plan json" 0 "$bin" plan --library "$lib" --session psilocybin --format json
if python3 -c '
import json,sys
kinds={"phase","scene","playlist","volume","remind","sound","midi","mqtt"}
lines=[json.loads(l) for l in open(sys.argv[1])]
assert lines, "no lines"
for l in lines:
    assert {"at","dose","phase","kind"} <= l.keys(), l
    assert l["kind"] in kinds, l
assert sum(1 for l in lines if l["kind"]=="remind")==7, "hourly vitals"
' "$tmp/out"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: plan json fields"; fi
expect "plan unknown session" 1 "$bin" plan --library "$lib" --session nope
expect "plan broken session" 1 "$bin" plan --library "$tmp/broken" --session im-ketamine
contains "plan broken names path" "$tmp/err" "phases[2].duration"

# devices discover from a saved bridge/devices payload
cat > "$tmp/devices.json" <<'JSON'
[{"friendly_name":"Coordinator","type":"Coordinator"},
 {"friendly_name":"room1/ceiling","definition":{"exposes":[{"type":"light","features":[{"name":"state"},{"name":"brightness"},{"name":"color_temp","value_min":153,"value_max":454}]}]}}]
JSON
expect "devices discover --file" 0 "$bin" devices discover --file "$tmp/devices.json"
contains "discovered light topic" "$tmp/out" '"topic": "zigbee2mqtt/room1/ceiling"'
printf '{"devices":[]}' > "$tmp/not-devices.json"
expect "devices discover: not a devices array" 1 "$bin" devices discover --file "$tmp/not-devices.json"
contains "discover names the problem" "$tmp/err" "expected the bridge/devices array"
expect "devices bad verb" 2 "$bin" devices frobnicate
expect "playlist export" 0 "$bin" playlist export peak --library "$lib"
contains "export has EXTINF" "$tmp/out" "#EXTINF:150,"
printf '#EXTM3U\r\n#EXTINF:150,A - B\r\n../audio/peak-1.flac\r\nhttp://example.invalid/x.mp3\r\n' > "$tmp/broken/lists.m3u"
mkdir -p "$tmp/broken/lists" && mv "$tmp/broken/lists.m3u" "$tmp/broken/lists/imported.m3u"
expect "playlist import reports the URL" 1 "$bin" playlist import "$tmp/broken/lists/imported.m3u" --library "$tmp/broken"
contains "import names the line" "$tmp/err" "imported.m3u: line 4"
[ -f "$tmp/broken/playlists/imported.json" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: import wrote no playlist"; }
expect "render" 0 "$bin" render --library "$lib" --session im-ketamine --out "$tmp/im.wav" --lights "$tmp/im.jsonl" --rate 8000
contains "render lights" "$tmp/im.jsonl" '"light":"ceiling"'
# light follows depth: the peak phase (depth 0.6) moves the ceiling from the deep scene's
# base (0.08) toward its "deep" value (0.03): 0.08 + (0.03 - 0.08) x 0.6 = 0.05
awk '/"light":"ceiling"/ && /"scene":"deep"/ { if (match($0, /"brightness":[0-9.e-]+/)) { b = substr($0, RSTART + 13, RLENGTH - 13) + 0; if (b > 0.0499 && b < 0.0501) found = 1 } }
     END { exit !found }' "$tmp/im.jsonl" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: render --lights has no ceiling at depth 0.6 (brightness 0.05)"; grep '"scene":"deep"' "$tmp/im.jsonl" | head -5; }
# render for rehearsal: the format from the name or --format, a window, a listening gain
[ "$(soxi -b "$tmp/im.wav")" = 16 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: render .wav is not 16-bit by default"; }
expect "render a window as FLAC" 0 "$bin" render --library "$lib" --session im-ketamine --out "$tmp/w.flac" --rate 8000 --from 1m --to 2:30
[ "$(soxi -t "$tmp/w.flac")" = flac ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: --out x.flac is not FLAC"; }
[ "$(soxi -s "$tmp/w.flac")" = 720000 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: 1m..2:30 at 8 kHz is not 720000 frames: $(soxi -s "$tmp/w.flac")"; }
expect "render float WAV" 0 "$bin" render --library "$lib" --session im-ketamine --out "$tmp/f.wav" --format wav32f --rate 8000 --from 1:00 --to 1m10s
contains "float WAV" <(soxi -e "$tmp/f.wav") "Floating Point PCM"
expect "render --normalize" 0 "$bin" render --library "$lib" --session im-ketamine --out "$tmp/n.wav" --rate 8000 --from 1m --to 2m --normalize
peak=$(sox "$tmp/n.wav" -n stat 2>&1 | awk '/Maximum amplitude/ {print $3}')
awk -v p="$peak" 'BEGIN { exit !(p > 0.85 && p < 0.90) }' && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: --normalize peak $peak, wanted -1 dBFS (0.891)"; }
expect "render bad format" 2 "$bin" render --library "$lib" --session im-ketamine --out "$tmp/x.ogg" --format ogg
contains "render names the formats" "$tmp/err" "flac, wav16 or wav32f"
expect "render bad time" 2 "$bin" render --library "$lib" --session im-ketamine --out "$tmp/x.wav" --from 1:75
contains "render names the time" "$tmp/err" '--from "1:75" is not a session time'
expect "render --to before --from" 2 "$bin" render --library "$lib" --session im-ketamine --out "$tmp/x.wav" --from 10m --to 5m
expect "render gain and normalize" 2 "$bin" render --library "$lib" --session im-ketamine --out "$tmp/x.wav" --gain-db 20 --normalize
# a sound louder than the music is refused unless its cue opts in (sessions/*.json cues[5])
cp -r "$lib" "$tmp/loud"
sed -i 's/"gain_db": -6$/"gain_db": 6/' "$tmp/loud/sessions/im-ketamine.json"
expect "check refuses a sound louder than the music" 1 "$bin" check --library "$tmp/loud"
contains "names the template file and field" "$tmp/out" 'sessions/im-ketamine.json: cues[5].gain_db: '
contains "says why" "$tmp/out" '+6 dB would play it louder than the music'
sed -i 's/"gain_db": 6$/"gain_db": 6, "louder_than_music": true/' "$tmp/loud/sessions/im-ketamine.json"
expect "check accepts the explicit opt-in" 0 "$bin" check --library "$tmp/loud"

# run: kill -9 mid-session, start again, the same session resumes
state="$tmp/state"
"$bin" run --library "$lib" --state-dir "$state" --speed 600 --start im-ketamine >"$tmp/run1" 2>&1 &
pid=$!
for _ in $(seq 1 50); do ls "$state"/sessions/*.jsonl >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1
kill -9 "$pid"
wait "$pid" 2>/dev/null
journal=$(ls "$state"/sessions/*.jsonl | head -1)
id=$(basename "$journal" .jsonl)
"$bin" run --library "$lib" --state-dir "$state" --speed 600 >"$tmp/run2" 2>&1 &
pid=$!
for _ in $(seq 1 50); do grep -q "resumed session" "$tmp/run2" && break; sleep 0.1; done
# a second daemon on the same state dir refuses to start and names the holder
expect "second daemon refused" 1 "$bin" run --library "$lib" --state-dir "$state" --speed 600 --listen off
contains "second daemon names the holder" "$tmp/err" "another stillroom (pid $pid) is running on the state dir"
kill -TERM "$pid"
wait "$pid"
code=$?
[ "$code" = 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: run exits 0 on SIGTERM (got $code)"; }
contains "resumes the same session" "$tmp/run2" "resumed session $id"
contains "journal records the resume" "$journal" '"event":"resumed"'
if grep -q '"type":"start"' "$journal" && ! grep -qi 'patient' "$journal"; then
  passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: journal start record"; fi

# report: the session record from the journal (issue 13)
expect "report --help" 0 "$bin" report --help
contains "report --help shows usage" "$tmp/out" "usage: stillroom report"
expect "report json" 0 "$bin" report "$id" --state-dir "$state"
contains "report json has the id" "$tmp/out" "\"id\": \"$id\""
contains "report json names the template" "$tmp/out" '"template_id": "im-ketamine"'
contains "report json: resumed, so unfinished" "$tmp/out" '"status": "unfinished"'
expect "report csv" 0 "$bin" report "$id" --state-dir "$state" --format csv
contains "report csv header" "$tmp/out" "t_s,since_dose_s,clock,phase,kind,what,value,flags,by"
contains "report csv rows" "$tmp/out" ",resumed,"
expect "report html" 0 "$bin" report "$id" --state-dir "$state" --format html
contains "report html timeline" "$tmp/out" '<svg class="timeline"'
expect "report unknown session" 1 "$bin" report s-000000000000 --state-dir "$state"
contains "report unknown session says so" "$tmp/err" "no journal for session s-000000000000"
expect "report bad id" 2 "$bin" report ../tokens --state-dir "$state"
expect "report bad format" 2 "$bin" report "$id" --state-dir "$state" --format pdf
expect "report without id" 2 "$bin" report --state-dir "$state"
mkdir -p "$tmp/torn/sessions"
{ cat "$journal"; printf '{"type":"cmd","t":99'; } >"$tmp/torn/sessions/$id.jsonl"
expect "report torn journal" 0 "$bin" report "$id" --state-dir "$tmp/torn"
contains "report torn journal says so" "$tmp/out" '"torn_tail": true'

# demo: its own copy of the library and its state in one per-user place (issue 9 defect 11):
# a session killed mid-way resumes on the next start, and the bundled examples stay as they are.
xdg="$tmp/xdg"
demo_home="$xdg/stillroom/demo"
before=$(cd "$lib" && find . -path ./state -prune -o -name '*.json' ! -name '.loudness-cache.json' -type f -print0 | sort -z | xargs -0 sha256sum)
demo_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
XDG_STATE_HOME="$xdg" "$bin" demo --listen "127.0.0.1:$(demo_port)" --audio null --speed 600 --start im-ketamine \
    </dev/null >"$tmp/demo1" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do ls "$demo_home"/state/sessions/*.jsonl >/dev/null 2>&1 && break; sleep 0.1; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
contains "demo says where its library is" "$tmp/demo1" "library $demo_home/library"
contains "demo says where its state is" "$tmp/demo1" "state $demo_home/state"
[ -f "$demo_home/library/room.json" ] && [ -d "$demo_home/library/playlists" ] && [ ! -e "$demo_home/library.partial" ] \
  && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: demo did not copy the example library"; }
demo_id=$(basename "$(ls "$demo_home"/state/sessions/*.jsonl | head -1)" .jsonl)
# A save in the demo goes to its copy; the next start keeps the copy (no second copy).
echo '{"name": "Edited in the demo", "tracks": []}' > "$demo_home/library/playlists/demo-edit.json"
XDG_STATE_HOME="$xdg" "$bin" demo --listen "127.0.0.1:$(demo_port)" --audio null --speed 600 </dev/null >"$tmp/demo2" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do grep -q "resumed session" "$tmp/demo2" && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
contains "demo resumes its session on the next start" "$tmp/demo2" "resumed session $demo_id"
[ -f "$demo_home/library/playlists/demo-edit.json" ] && ! grep -q "copied the example library" "$tmp/demo2" \
  && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the demo's edited library copy was replaced"; }
after=$(cd "$lib" && find . -path ./state -prune -o -name '*.json' ! -name '.loudness-cache.json' -type f -print0 | sort -z | xargs -0 sha256sum)
[ "$before" = "$after" ] && [ ! -e "$lib/playlists/demo-edit.json" ] && passed=$((passed + 1)) \
  || { failed=$((failed + 1)); echo "FAIL: the demo changed the bundled example library"; }

# report --library after the demo (issue 20): the demo keeps its state in its own folder; the
# report finds the journal there, or says where to look. --speed records the real wall clock.
expect "report of the demo's session from the library" 0 env XDG_STATE_HOME="$xdg" "$bin" report "$demo_id" --library "$lib"
contains "report names the demo's journal folder" "$tmp/err" "$demo_home/state/sessions"
contains "report of the demo's session" "$tmp/out" "\"id\": \"$demo_id\""
start_clock=$(grep -a -o '"clock":"[^"]*"' "$demo_home/state/sessions/$demo_id.jsonl" | head -1 | cut -d'"' -f4)
start_s=$(date -d "$start_clock" +%s 2>/dev/null || echo 0)
now_s=$(date +%s)
[ $((now_s - start_s)) -ge 0 ] && [ $((now_s - start_s)) -lt 3600 ] && passed=$((passed + 1)) \
  || { failed=$((failed + 1)); echo "FAIL: a --speed 600 session's clock is not the real wall clock ($start_clock)"; }
expect "report --library without the journal says where to look" 1 env XDG_STATE_HOME="$xdg" "$bin" report s-000000000000 --library "$lib"
contains "report says where to look" "$tmp/err" "give the room's state folder with --state-dir DIR"

# demo --broker (scripts/demo.sh starts a private mosquitto and passes it; issue 21): the
# bundled room.json has no "mqtt", so the demo room gets that broker and two simulated
# monitors in memory; the session's live SpO2 comes from the simulated oximeter, and the
# demo's copy of room.json is not changed. At --speed 20 the simulated monitors send once a
# session second (the room counts a monitor's silence in session time): 2 real seconds of
# session (40 s, beyond the 10 s stale_after) raise no "sensor_stale".
mosq_port=$(demo_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mosq_port" >"$tmp/mosquitto.conf"
/usr/sbin/mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
mosq_pid=$!
http_port=$(demo_port)
api="http://127.0.0.1:$http_port/api/v1"
XDG_STATE_HOME="$tmp/xdg-broker" "$bin" demo --broker "mqtt://127.0.0.1:$mosq_port" --listen "127.0.0.1:$http_port" \
    --audio null --no-start --speed 20 </dev/null >"$tmp/demo3" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$http_port/" >/dev/null && break; sleep 0.1; done
token=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"pin": "1357"}' "$api/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin).get("token",""))')
curl -s -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"template": "im-ketamine", "label": "T1"}' "$api/session/start" >"$tmp/start3"
live=""
for _ in $(seq 1 300); do
  live=$(curl -s -H "Authorization: Bearer $token" "$api/state" | python3 -c '
import json, sys
v = (json.load(sys.stdin).get("session") or {}).get("vitals_live") or {}
s = v.get("spo2") or {}
print("%s %s" % (s.get("source"), s.get("value")) if s else "")')
  case "$live" in oxi\ *) break ;; esac
  sleep 0.1
done
stale=""
for _ in $(seq 1 20); do # 2 real seconds, 40 session seconds, looked at every 0.1 s
  stale="$stale $(curl -s -H "Authorization: Bearer $token" "$api/state" | python3 -c '
import json, sys
s = json.load(sys.stdin).get("session") or {}
print(" ".join(a.get("kind", "") + "@" + str(a.get("source")) for a in s.get("alerts") or []))')"
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid"
kill "$mosq_pid"
wait "$mosq_pid" 2>/dev/null
contains "demo --broker names its broker" "$tmp/demo3" "demo: the broker at mqtt://127.0.0.1:$mosq_port"
contains "demo --broker runs the simulated monitors" "$tmp/demo3" "simulated monitors publish to the room's broker"
case "$live" in
  oxi\ 9[0-9]* | oxi\ 100*) passed=$((passed + 1)) ;;
  *) failed=$((failed + 1)); echo "FAIL: demo --broker: no live SpO2 from the simulated oximeter (got \"$live\")"
     sed 's/^/  | /' "$tmp/start3" "$tmp/demo3" | head -20 ;;
esac
case "$stale" in
  *sensor_stale*) failed=$((failed + 1)); echo "FAIL: demo --speed 20: the simulated monitors read as silent: $stale" ;;
  *) passed=$((passed + 1)) ;;
esac
grep -q '"mqtt"' "$tmp/xdg-broker/stillroom/demo/library/room.json" \
  && { failed=$((failed + 1)); echo "FAIL: demo --broker wrote the broker into the demo's room.json"; } \
  || passed=$((passed + 1))
expect "demo --broker refuses a URL that is not mqtt://" 1 env XDG_STATE_HOME="$tmp/xdg-broker" "$bin" demo \
    --broker "http://127.0.0.1:1" --listen "127.0.0.1:$(demo_port)" --audio null --no-start
contains "demo --broker names the option" "$tmp/err" "--broker"

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
