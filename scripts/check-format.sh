#!/usr/bin/env bash
# Fails (naming file:line) where a C++ file differs from .clang-format. Fix: scripts/format.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if ! "$here/scripts/format.sh" --check; then
  echo "check-format: the files above differ from .clang-format; run scripts/format.sh" >&2
  exit 1
fi
echo "check-format: every C++ file follows .clang-format"
