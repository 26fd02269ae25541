#!/usr/bin/env bash
# Applies .clang-format to every C++ file in the repository (scripts/check-format.sh checks it).
# usage: scripts/format.sh [--check]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
# One pinned version: another clang-format formats some constructs differently.
tool="${CLANG_FORMAT:-clang-format-14}"
if ! command -v "$tool" >/dev/null; then
  echo "format: $tool not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
if [ "${1:-}" = "--check" ]; then
  "$tool" --dry-run --Werror "${files[@]}"
else
  "$tool" -i "${files[@]}"
fi
