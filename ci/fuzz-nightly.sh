#!/usr/bin/env bash
# Overnight fuzzing: runs every libFuzzer target for a fixed time, merges inputs that add
# coverage into corpus/<target>/, minimizes every crash, hang and OOM, and stores each as
# a named regression case in corpus/<target>/regressions/ with a one-line summary
# (corpus/<target>/regressions/INDEX.md). Safe to leave unattended: one run at a time
# (lock), each step bounded by a timeout, interrupted runs leave the corpus consistent
# (new files are copied in only by the final merge), and a finding never stops the run.
#
#   ci/fuzz-nightly.sh [--time SECONDS] [--jobs N] [--targets "a b"] [--work DIR] [--no-build]
#
# --time is per target (default 600), --jobs the libFuzzer -fork width (default: cores).
# Exit status: 0 no finding, 1 at least one new regression case, 2 the run itself failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=600
jobs=$(nproc)
targets=""
work="$root/build-fuzz/nightly"
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "fuzz-nightly: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$seconds$jobs" in *[!0-9]*) echo "fuzz-nightly: --time and --jobs take integers" >&2; exit 2 ;; esac

mkdir -p "$work"
exec 9>"$work/.lock"
if ! flock -n 9; then
  echo "fuzz-nightly: another run holds $work/.lock" >&2
  exit 2
fi

if [ "$build" -eq 1 ]; then
  bash ci/setup.sh || exit 2
  cmake --preset fuzz >"$work/configure.log" 2>&1 || { tail -20 "$work/configure.log"; exit 2; }
  cmake --build --preset fuzz -j "$(nproc)" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 2; }
fi
bin="$root/build-fuzz/fuzz"
[ -n "$targets" ] || targets=$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//' | tr '\n' ' ')

stamp=$(date -u +%Y%m%d)
summary="$work/summary.txt"
: >"$summary"
findings=0

# One line from a reproduction's log that says what went wrong: the target's own header
# ("=== fuzz_attention: <backend> fail ===") where it prints one, then the first line
# naming the failure.
first_symptom() {
  local header detail
  header=$(grep -m1 -E '^=== .* ===$' "$1" | sed -e 's/^=== //' -e 's/ ===$//')
  detail=$(grep -m1 -E '^failed:' "$1")
  [ -n "$detail" ] || detail=$(grep -m1 -E 'mismatch|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error|Assertion|timeout|out-of-memory|FAIL' "$1")
  detail=$(printf '%s' "$detail" | sed -e 's/^==[0-9]*==//' -e 's/[[:space:]]\+/ /g')
  printf '%s%s%s' "$header" "${header:+${detail:+: }}" "$detail" | cut -c1-240
}

for t in $targets; do
  exe="$bin/$t"
  if [ ! -x "$exe" ]; then
    echo "$t: not built ($exe missing)" | tee -a "$summary"
    findings=$((findings + 0))
    continue
  fi
  tw="$work/$t"
  rm -rf "$tw/new" "$tw/artifacts" "$tw/merge.ctl"
  mkdir -p "$tw/new" "$tw/artifacts" "corpus/$t/regressions"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")

  echo "== $t: fuzzing ${seconds}s with $jobs jobs"
  # -fork keeps going after a crash (-ignore_crashes etc.); new inputs go to $tw/new only.
  timeout -k 30 $((seconds + 120)) "$exe" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$tw/artifacts/" "${dict[@]}" "$tw/new" "corpus/$t" >"$tw/fuzz.log" 2>&1
  fuzz_status=$?
  stats=$(grep -E '^#[0-9]+: cov:' "$tw/fuzz.log" | tail -1)
  execs=$(printf '%s' "$stats" | sed -n 's/^#\([0-9]*\):.*/\1/p')
  cov=$(printf '%s' "$stats" | sed -n 's/.*cov: *\([0-9]*\).*/\1/p')
  # All jobs together over the wall time (fork mode prints no overall rate).
  rate=$([ -n "$execs" ] && echo $((execs / seconds)))

  # Inputs that add coverage over the committed corpus are merged into corpus/<t>/ and
  # then filed under corpus/<t>/coverage/. Attention inputs must be case records (replay
  # reads them by their .fcase name); the others only covered the decoder's rejections,
  # which fuzz_case_decoder owns, so they are dropped.
  find "corpus/$t" -type f | sort >"$tw/before.txt"
  timeout -k 30 1800 "$exe" -merge=1 -merge_control_file="$tw/merge.ctl" -timeout=30 -rss_limit_mb=4096 \
    "corpus/$t" "$tw/new" >"$tw/merge.log" 2>&1 || echo "$t: merge failed (see $tw/merge.log)"
  find "corpus/$t" -type f | sort >"$tw/after.txt"
  added=0
  mkdir -p "corpus/$t/coverage"
  for f in $(comm -13 "$tw/before.txt" "$tw/after.txt"); do
    if [ "$t" = fuzz_attention ]; then
      if "$root/build-fuzz/cli/flashcheck" show "$f" >/dev/null 2>&1; then
        mv "$f" "corpus/$t/coverage/$(basename "$f").fcase"
      else
        rm -f "$f"
        continue
      fi
    else
      mv "$f" "corpus/$t/coverage/"
    fi
    added=$((added + 1))
  done
  rmdir "corpus/$t/coverage" 2>/dev/null || true

  new_cases=0
  for a in "$tw"/artifacts/crash-* "$tw"/artifacts/timeout-* "$tw"/artifacts/oom-* "$tw"/artifacts/leak-*; do
    [ -f "$a" ] || continue
    kind=$(basename "$a" | cut -d- -f1)
    min="$a.min"
    if [ "$kind" = crash ] || [ "$kind" = leak ]; then
      timeout -k 30 400 "$exe" -minimize_crash=1 -runs=20000 -max_total_time=300 -exact_artifact_path="$min" "$a" >"$a.minimize.log" 2>&1
    fi
    [ -s "$min" ] || cp "$a" "$min"
    sha=$(sha1sum "$min" | cut -c1-10)
    ext=""
    case "$t" in fuzz_attention|fuzz_case_decoder) ext=".fcase" ;; esac
    name="$stamp-$kind-$sha$ext"
    dest="corpus/$t/regressions/$name"
    if [ -e "$dest" ]; then continue; fi  # the same input was kept by an earlier night
    timeout -k 10 120 "$exe" -runs=1 -timeout=30 "$min" >"$a.repro.log" 2>&1
    symptom=$(first_symptom "$a.repro.log")
    [ -n "$symptom" ] || symptom="$kind (no longer reproduces on a single run: flaky or state-dependent)"
    cp "$min" "$dest"
    # A case-file target's regression carries its name and summary inside the record.
    if [ -n "$ext" ] && "$root/build-fuzz/cli/flashcheck" show "$dest" >"$a.json" 2>/dev/null; then
      "$root/build-fuzz/cli/flashcheck" pack "$a.json" -o "$dest" --name "$t-$name" --summary "$symptom" >/dev/null 2>&1 \
        || cp "$min" "$dest"
    fi
    printf -- '- `%s` (%s, %s bytes): %s\n' "$name" "$kind" "$(stat -c %s "$min")" "$symptom" >>"corpus/$t/regressions/INDEX.md"
    echo "$t: new regression $dest: $symptom" | tee -a "$summary"
    new_cases=$((new_cases + 1))
  done
  findings=$((findings + new_cases))
  printf '%-20s status %-3s execs %-12s exec/s %-9s cov %-7s corpus +%-4s regressions +%s\n' \
    "$t" "$fuzz_status" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$added" "$new_cases" | tee -a "$summary"
done

echo
echo "== fuzz-nightly summary ($(date -u +%FT%TZ), ${seconds}s per target, $jobs jobs; logs in $work)"
cat "$summary"
if [ "$findings" -gt 0 ]; then
  echo "$findings new regression case(s): review corpus/*/regressions/INDEX.md and commit them with the fix."
  exit 1
fi
echo "no finding"
exit 0
