#!/usr/bin/env bash
# Throughput of the libFuzzer targets (the fuzz preset: ASan + UBSan + coverage), in
# executions per second, against the goals of docs/fuzzing.md. Each target runs
# --repeats times for --time seconds on a scratch copy of its corpus (nothing is written
# to corpus/); the median of the runs is compared with the goal. fuzz_case_decoder also
# runs --decoder-runs executions in one go and must finish with no finding.
#
#   bench/fuzz_exec_rate.sh [--time S] [--repeats N] [--decoder-runs N] [--build DIR]
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=20
repeats=3
decoder_runs=10000000
build=build-fuzz
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --decoder-runs) decoder_runs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "fuzz_exec_rate: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# Goals in executions per second (0: none stated).
declare -A goal=([fuzz_attention]=5000 [fuzz_codecs]=1000000 [fuzz_mx_block]=1000000 [fuzz_lse_merge]=0 [fuzz_case_decoder]=0)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print 0; else print a[int((NR + 1) / 2)]}'; }

printf '%-18s %10s %10s %7s   %s\n' target median_ex/s goal ratio "runs (exec/s)"
for exe in "$build"/fuzz/fuzz_*; do
  [ -x "$exe" ] && [ -f "$exe" ] || continue
  t=$(basename "$exe")
  rates=()
  for ((r = 0; r < repeats; r++)); do
    rm -rf "$scratch/new" && mkdir -p "$scratch/new"
    # "Done N runs in S second(s)" is libFuzzer's last line; the rate is N / S.
    line=$("$exe" -max_total_time="$seconds" -print_final_stats=1 "$scratch/new" "corpus/$t" 2>&1 \
      | grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec' | tr '\n' ' ')
    rate=$(printf '%s' "$line" | sed -n 's/.*average_exec_per_sec: *\([0-9]*\).*/\1/p')
    rates+=("${rate:-0}")
  done
  med=$(printf '%s\n' "${rates[@]}" | median)
  g=${goal[$t]:-0}
  if [ "$g" -gt 0 ]; then
    ratio=$(awk -v m="$med" -v g="$g" 'BEGIN {printf "%.2f", m / g}')
    [ "$med" -ge "$g" ] || status=1
  else
    ratio="-"
    g="-"
  fi
  printf '%-18s %10s %10s %7s   %s\n' "$t" "$med" "$g" "$ratio" "${rates[*]}"
done

if [ -x "$build/fuzz/fuzz_case_decoder" ]; then
  rm -rf "$scratch/new" && mkdir -p "$scratch/new"
  start=$(date +%s.%N)
  "$build/fuzz/fuzz_case_decoder" -runs="$decoder_runs" -print_final_stats=1 "$scratch/new" corpus/fuzz_case_decoder \
    >"$scratch/decoder.log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  done_runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$scratch/decoder.log")
  printf 'fuzz_case_decoder: %s executions in %.0f s, exit %s (%s)\n' "${done_runs:-?}" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')" "$rc" "$([ "$rc" -eq 0 ] && echo 'no finding' || echo FINDING)"
  [ "$rc" -eq 0 ] || { tail -30 "$scratch/decoder.log"; status=1; }
fi
exit $status
