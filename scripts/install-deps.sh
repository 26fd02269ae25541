#!/usr/bin/env bash
# Installs every Debian package Stillroom needs to build, test and run.
# Idempotent: run it as root on a fresh Debian 12 machine, again any time.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  nlohmann-json3-dev doctest-dev
  portaudio19-dev libasound2-dev libsndfile1-dev libsoxr-dev libebur128-dev
  librtmidi-dev libmosquitto-dev mosquitto mosquitto-clients rabbitmq-server
  libcpp-httplib-dev libsodium-dev libssl-dev
  jackd2 libjack-jackd2-dev
  sox libsox-fmt-all mpd mpc
  chromium curl python3 openssl
  time
  clang-format-14
  libavformat-dev libavcodec-dev libavutil-dev libswresample-dev ffmpeg
  libsystemd-dev systemd dpkg-dev adduser
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Node.js runs the browser tests. Many machines have it already (often not from Debian's
# packages); only when there is none do we take Debian's.
if ! command -v node >/dev/null 2>&1; then PACKAGES+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # jackd2 asks about realtime priority; answer for it.
  echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections || true
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi
