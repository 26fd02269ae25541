#!/usr/bin/env bash
# The Debian package as a clinic installs it, on this machine: builds it (cpack -G DEB from
# the build dir), checks its contents and Depends, installs it with dpkg -i, checks the
# installed example library with the installed stillroom, starts a room from the installed
# binary as the stillroom user with the environment systemd gives the unit (NOTIFY_SOCKET,
# WATCHDOG_USEC: a socket here plays systemd's part), checks it serves, then purges the
# package. systemd is not PID 1 in this container (nor in CI), so the unit itself is checked
# with `systemd-analyze verify`, not started.
# usage: scripts/package-test.sh   (as root, after scripts/install-deps.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${STILLROOM_BUILD_DIR:-$here/build}"
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }
step() { echo "package-test: $*"; }

"$here/scripts/make-demo-audio.sh" "$here/examples/library" >/dev/null
STILLROOM_BUILD_TARGETS="stillroom stillroom-audio-sink man-pages" "$here/scripts/build.sh"
rm -f "$build"/stillroom_*.deb
(cd "$build" && cpack -G DEB >/dev/null) || fail "cpack -G DEB"
deb="$(ls "$build"/stillroom_*.deb)"
step "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"

contents="$(dpkg-deb --contents "$deb")"
for f in ./usr/bin/stillroom ./usr/bin/stillroom-audio-sink ./usr/lib/systemd/system/stillroom@.service \
         ./usr/share/stillroom/examples/library/room.json ./usr/share/man/man1/stillroom-run.1 \
         ./usr/share/man/man1/stillroom-tls.1 ./usr/share/doc/stillroom/README.md; do
  grep -q " $f\$" <<<"$contents" || grep -q " $f " <<<"$contents" || fail "$f is not in the package"
done
depends="$(dpkg-deb --field "$deb" Depends)"
for lib in adduser libsndfile1 libavformat libsystemd0 libssl3 libmosquitto1 libportaudio2; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
step "contents and Depends ok"

unit_dir="$(mktemp -d)"
work="$(mktemp -d)"
room_pid=""
cleanup() {
  [ -n "$room_pid" ] && kill "$room_pid" 2>/dev/null && wait "$room_pid" 2>/dev/null || true
  dpkg --purge stillroom >/dev/null 2>&1 || true
  rm -rf "$unit_dir" "$work"
}
trap cleanup EXIT
dpkg --purge stillroom >/dev/null 2>&1 || true # a package left by an interrupted run
dpkg -i "$deb" >/dev/null || fail "dpkg -i"
getent passwd stillroom >/dev/null || fail "postinst made no stillroom user"
id -nG stillroom | grep -qw audio || fail "the stillroom user is not in the audio group"
step "installed; user $(id stillroom)"

# The unit, as systemd would read it (an instance of the template).
cp /usr/lib/systemd/system/stillroom@.service "$unit_dir/stillroom@.service"
ln -s stillroom@.service "$unit_dir/stillroom@room-1.service"
verify_rc=0
verify="$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$unit_dir/stillroom@room-1.service" 2>&1)" ||
  verify_rc=$?
# It works without systemd as PID 1; nothing may be said about our unit.
if [ "$verify_rc" != 0 ] || grep -i "stillroom" <<<"$verify"; then
  fail "systemd-analyze verify (exit $verify_rc): $verify"
fi
step "systemd-analyze verify: clean"

# As the service user: the installed files are read-only to it, as they should be.
runuser -u stillroom -- /usr/bin/stillroom check --library /usr/share/stillroom/examples/library \
  >"$work/check.txt" 2>&1 ||
  { cat "$work/check.txt"; fail "stillroom check on the installed example"; }
step "$(tail -1 "$work/check.txt")"

# A room from the installed binary, as the unit runs it: its user, its library in a folder
# of its own, state elsewhere, and systemd's notify socket.
cp -r /usr/share/stillroom/examples/library "$work/library"
install -d -o stillroom -g stillroom "$work/state"
chown -R stillroom:stillroom "$work/library"
chmod 755 "$work"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
python3 - "$work/notify.sock" >"$work/notify.txt" 2>&1 <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)
s.settimeout(60)
pings = 0
while True:
    m = s.recv(4096).decode()
    print(m.replace("\n", " | "), flush=True)
    pings += m == "WATCHDOG=1"
    if pings >= 2: break
PY
listener=$!
for _ in $(seq 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=2000000 runuser -u stillroom -- \
  /usr/bin/stillroom run --library "$work/library" --state-dir "$work/state" --audio off \
  --listen "127.0.0.1:$port" >"$work/room.log" 2>&1 &
room_pid=$!
wait "$listener" || { cat "$work/notify.txt" "$work/room.log"; fail "no READY/WATCHDOG from the room"; }
grep -q "READY=1" "$work/notify.txt" || fail "no READY=1: $(cat "$work/notify.txt")"
step "sd_notify: $(grep -m1 READY "$work/notify.txt")"
page="$(curl -fsS "http://127.0.0.1:$port/")" || { cat "$work/room.log"; fail "the tablet page"; }
grep -q "<title>" <<<"$page" || fail "the tablet page has no title"
code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/state")"
[ "$code" = 401 ] || fail "GET /api/v1/state without a token answered $code, expected 401"
login="$(curl -fsS -H 'Content-Type: application/json' -d '{"pin":"2468"}' "http://127.0.0.1:$port/api/v1/login")" ||
  fail "login with the example clinic PIN"
token="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' <<<"$login")"
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/state" | grep -q '"room"' ||
  fail "GET /api/v1/state"
step "the installed room serves on 127.0.0.1:$port (page, login, state)"
kill "$room_pid"; wait "$room_pid" 2>/dev/null || true; room_pid=""
[ -z "$(find "$work/state" -maxdepth 0 -user stillroom)" ] && fail "state dir not the user's"
dpkg --purge stillroom >/dev/null || fail "dpkg --purge"
[ ! -e /usr/bin/stillroom ] || fail "/usr/bin/stillroom is still there after purge"
step "purged"
echo "package-test: ok"
