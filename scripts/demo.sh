#!/usr/bin/env bash
# Builds Stillroom if needed, makes the demo audio, and runs `stillroom demo`. The demo
# works on its own copy of the example library and keeps its state beside it, in
# $XDG_STATE_HOME/stillroom/demo (default ~/.local/state/stillroom/demo): it says where.
# With mosquitto installed (scripts/install-deps.sh installs it) it starts a private broker on
# a free loopback port for the demo (`--broker`): the room's simulated pulse oximeter and
# cuff publish there, so the tablet shows live SpO2, pulse and the cuff's readings
# (docs/vitals.md). The broker stops with the demo. STILLROOM_DEMO_BROKER=off: none.
# usage: scripts/demo.sh [demo options, e.g. --speed 10, --desaturate]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${STILLROOM_BUILD_DIR:-$here/build}"
"$here/scripts/build.sh" >/dev/null
"$here/scripts/make-demo-audio.sh" "$here/examples/library"
mosquitto="$(command -v mosquitto || true)"
[ -z "$mosquitto" ] && [ -x /usr/sbin/mosquitto ] && mosquitto=/usr/sbin/mosquitto
if [ "${STILLROOM_DEMO_BROKER:-on}" = off ] || [ -z "$mosquitto" ]; then
  [ -z "$mosquitto" ] && echo "demo: mosquitto is not installed: no live vitals (scripts/install-deps.sh installs it)"
  exec "$build/app/stillroom" demo "$@"
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/stillroom-demo-broker.XXXXXX")"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$work/mosquitto.conf"
# Its own session: Ctrl-C stops the room first, then the broker goes with this script.
setsid "$mosquitto" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker=$!
trap 'kill "$broker" 2>/dev/null; wait "$broker" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$broker" 2>/dev/null || { cat "$work/mosquitto.log"; echo "demo: the private broker did not start" >&2; exit 1; }
  sleep 0.1
done
echo "demo: a private mosquitto on 127.0.0.1:$port for the simulated monitors"
status=0
"$build/app/stillroom" demo --broker "mqtt://127.0.0.1:$port" "$@" || status=$?
exit "$status"
