#!/usr/bin/env bash
# Mutation check: applies each deliberate bug in scripts/mutations.tsv, one at a time, to a
# scratch copy of the source, rebuilds only the test binary it names and runs the test
# that must kill it (with a timeout). Prints killed/survived per mutation; fails if any
# mutation survives, does not build, or its original text is no longer in the file (a
# refactor must update the row, not silently drop the mutation).
# usage: scripts/mutate.sh [ID-PATTERN...]   (each a glob; a row runs when any matches; env: STILLROOM_MUTATE_DIR, default build-mutate/;
#        STILLROOM_MUTATE_TIMEOUT seconds per test run, default 300)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${STILLROOM_MUTATE_DIR:-$here/build-mutate}"
timeout_s="${STILLROOM_MUTATE_TIMEOUT:-300}"
only="$*"
list="$here/scripts/mutations.tsv"
src="$scratch/src"
# The build dir sits inside the copy as build/ does in the checkout: with
# CCACHE_BASEDIR set, the compile commands are then the checkout's and hit its cache.
build="$src/build"
started=$(date +%s)

# The rows, parsed once (python: the texts hold quotes, backslashes and "\n" escapes).
rows="$scratch/rows.json"
mkdir -p "$scratch"
python3 - "$list" "$here" "$only" > "$rows" <<'PY'
import fnmatch, json, sys
path, root, only = sys.argv[1], sys.argv[2], sys.argv[3]
rows, bad = [], []
for n, line in enumerate(open(path), 1):
    if line.startswith("#") or not line.strip():
        continue
    f = line.rstrip("\n").split("\t")
    if len(f) != 7:
        bad.append(f"{path}:{n}: expected 7 tab-separated columns, got {len(f)}")
        continue
    mid, file, orig, rep, binary, tests, promise = f
    orig, rep = orig.replace("\\n", "\n"), rep.replace("\\n", "\n")
    count = open(f"{root}/{file}").read().count(orig)
    if count != 1:
        bad.append(f"{path}:{n}: {mid}: the original text occurs {count} times in {file} (expected once): {orig!r}")
    if only and not any(fnmatch.fnmatch(mid, g) for g in only.split()):
        continue
    rows.append({"id": mid, "file": file, "orig": orig, "rep": rep, "binary": binary, "tests": tests, "promise": promise})
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
json.dump(rows, sys.stdout)
PY
count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$rows")
echo "mutate: $count mutations"

# A scratch copy of the tracked (and new, unignored) files; unchanged files keep their mtimes, so the
# scratch build stays incremental from one run to the next.
mkdir -p "$src" "$build"
(cd "$here" && git ls-files -co --exclude-standard -z) | python3 -c '
import filecmp, os, shutil, sys
here, src = sys.argv[1], sys.argv[2]
for name in sys.stdin.buffer.read().decode().split("\0"):
    a, b = os.path.join(here, name), os.path.join(src, name)
    if not name or not os.path.isfile(a): continue
    if os.path.isfile(b) and filecmp.cmp(a, b, shallow=False): continue
    os.makedirs(os.path.dirname(b), exist_ok=True)
    shutil.copy2(a, b)
' "$here" "$src"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
generator=()
command -v ninja >/dev/null && [ ! -f "$build/Makefile" ] && generator=(-G Ninja)
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$here")}"
cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTILLROOM_WERROR=OFF "${launcher[@]}" >/dev/null
binaries=$(python3 -c 'import json,sys; print(" ".join(sorted({r["binary"] for r in json.load(open(sys.argv[1]))})))' "$rows")
echo "mutate: building $binaries (unmutated)"
cmake --build "$build" -j "$(nproc)" --target $binaries >"$scratch/build.log" 2>&1 || { tail -30 "$scratch/build.log"; exit 1; }

run_test() { # binary filter -> exit status of the test run
  local bin="$build/tests/$1"
  STILLROOM_TEST_CASE_TIMEOUT_S="$timeout_s" timeout "$timeout_s" "$bin" -tc="$2" -ni -nv >"$scratch/test.log" 2>&1
}

# Every named test passes unmutated; otherwise a "kill" would prove nothing.
python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])): print(r["binary"] + "\t" + r["tests"])' "$rows" | sort -u > "$scratch/baseline.tsv"
while IFS=$'\t' read -r bin tests; do
  if ! run_test "$bin" "$tests"; then
    echo "mutate: the unmutated tests \"$tests\" fail; fix them first"; tail -30 "$scratch/test.log"; exit 1
  fi
done < "$scratch/baseline.tsv"

results=()
failed=0
for i in $(seq 0 $((count - 1))); do
  eval "$(python3 - "$rows" "$i" <<'PY'
import json, shlex, sys
r = json.load(open(sys.argv[1]))[int(sys.argv[2])]
for k in ("id", "file", "binary", "tests"):
    print(f"m_{k}={shlex.quote(r[k])}")
PY
)"
  cp -p "$src/$m_file" "$scratch/original"
  python3 - "$rows" "$i" "$src/$m_file" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))[int(sys.argv[2])]
text = open(sys.argv[3]).read()
assert text.count(r["orig"]) == 1, r["id"]
open(sys.argv[3], "w").write(text.replace(r["orig"], r["rep"]))
PY
  t0=$(date +%s)
  if ! cmake --build "$build" -j "$(nproc)" --target "$m_binary" >"$scratch/build.log" 2>&1; then
    verdict="DOES NOT BUILD"; failed=1
    tail -5 "$scratch/build.log"
  elif run_test "$m_binary" "$m_tests"; then
    verdict="SURVIVED"; failed=1
  else
    verdict="killed"
  fi
  cp -p "$scratch/original" "$src/$m_file"
  touch "$src/$m_file" # newer than the mutated object: rebuilt next time
  line=$(printf '%-36s %-15s %4ss  %s' "$m_id" "$verdict" "$(( $(date +%s) - t0 ))" "$m_tests")
  echo "$line"
  results+=("$line")
done
# Leave the scratch build matching the real source.
cmake --build "$build" -j "$(nproc)" --target $binaries >"$scratch/build.log" 2>&1 || true

echo
echo "mutate: results ($(( $(date +%s) - started )) s)"
printf '%s\n' "${results[@]}"
if [ "$failed" != 0 ]; then
  echo "mutate: FAILED: a mutation survived or did not build"
  exit 1
fi
echo "mutate: every mutation was killed"
