#!/usr/bin/env bash
# Laminar's `bench` at each kernel width beside llama.cpp's own llama-bench, built from source for
# this machine (-march=native: AVX-512 and VNNI where the CPU has them), on the same synthetic
# stories110M-shape files, the configurations alternated round by round so that both see the same
# minutes. Prints every run, then a Markdown table of medians and ratios.
#
#   bench/llama-bench/run.sh [--rounds 3] [--threads 1,2] [--types Q8_0,Q4_0] [--widths 512,256]
#
# Widths: 512, 256 or 128 (capped with -Dlaminar.kernels.width; 128 forced with
# -XX:MaxVectorSize=16, as an ARM machine has them); a width the machine lacks is skipped.
# llama.cpp's source comes from the npm package node-llama-cpp (3.22.1, llama/gitRelease.bundle);
# the build (cmake, a C++ compiler, npm) is kept in $LLAMA_BENCH_DIR [~/.cache/laminar/llama-bench].
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=3 threads=1,2 types=Q8_0,Q4_0 widths=512,256
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --types) types="$2"; shift 2 ;;
    --widths) widths="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
dir="${LLAMA_BENCH_DIR:-$HOME/.cache/laminar/llama-bench}"
lb="$dir/llama.cpp/build/bin/llama-bench"
if [ ! -x "$lb" ]; then
  echo "building llama-bench in $dir (once; minutes) ..." >&2
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent node-llama-cpp@3.22.1 >/dev/null && tar xzf node-llama-cpp-3.22.1.tgz \
    && rm -rf llama.cpp && git clone -q package/llama/gitRelease.bundle llama.cpp)
  (cd "$dir/llama.cpp" && cmake -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DGGML_OPENMP=OFF >/dev/null \
    && cmake --build build --target llama-bench -j"$(nproc)" >/dev/null)
fi
models="${TMPDIR:-/tmp}/laminar-bench-models"
mkdir -p "$models"
# The widest vectors this machine's JVM uses, in bits (MaxVectorSize is in bytes).
native=$(( $("$("$root/laminar" java-home)/bin/java" -XX:+PrintFlagsFinal -version 2>/dev/null \
  | awk '$2 == "MaxVectorSize" { print $4 }') * 8 ))
for type in ${types//,/ }; do
  [ -f "$models/stories110M-$type.gguf" ] || "$root/laminar" synth -t "$type" -o "$models/stories110M-$type.gguf" >&2
done
runs=$(mktemp)
for round in $(seq 1 "$rounds"); do
  for type in ${types//,/ }; do
    f="$models/stories110M-$type.gguf"
    for t in ${threads//,/ }; do
      for w in ${widths//,/ }; do
        if [ "$w" -gt "${native:-512}" ]; then continue; fi
        opts="-Dlaminar.kernels.width=$w"
        [ "$w" = 128 ] && opts="-XX:MaxVectorSize=16"
        JAVA_OPTS="$opts" "$root/laminar" bench -m "$f" -t "$t" -r 3 2>/dev/null | grep -E 'pp128|tg64' \
          | awk -v c="laminar-$w" -v ty="$type" -v t="$t" -v r="$round" -F'|' '{gsub(/ /,"",$8); split($9,v," "); print c, ty, t, $8, r, v[1]}' | tee -a "$runs"
      done
      "$lb" -m "$f" -p 128 -n 64 -t "$t" -r 3 -o md 2>/dev/null | grep -E 'pp128|tg64' \
        | awk -v ty="$type" -v t="$t" -v r="$round" -F'|' '{gsub(/ /,"",$7); split($8,v," "); print "llama.cpp", ty, t, $7, r, v[1]}' | tee -a "$runs"
    done
  done
done
echo
echo "| model | threads | test | $(for w in ${widths//,/ }; do printf 'Laminar %s t/s | ' "$w"; done)llama.cpp t/s | $(for w in ${widths//,/ }; do printf '%s / llama.cpp | ' "$w"; done)"
awk -v widths="$widths" '
  { v[$1 " " $2 " " $3 " " $4] = v[$1 " " $2 " " $3 " " $4] " " $6; keys[$2 " " $3 " " $4] = 1 }
  function median(s,   a, n, i, j, x) { n = split(s, a, " "); for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return n == 0 ? 0 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) }
  END { nw = split(widths, ws, ","); for (k in keys) { split(k, p, " "); line = "| " p[1] " | " p[2] " | " p[3] " | "
      ref = median(v["llama.cpp " k]); for (i = 1; i <= nw; i++) line = line sprintf("%.1f [%s] | ", median(v["laminar-" ws[i] " " k]), substr(v["laminar-" ws[i] " " k], 2))
      line = line sprintf("%.1f [%s] | ", ref, substr(v["llama.cpp " k], 2))
      for (i = 1; i <= nw; i++) line = line sprintf("%.2f | ", ref > 0 ? median(v["laminar-" ws[i] " " k]) / ref : 0)
      print line } }' "$runs" | sort
rm -f "$runs"
