#!/usr/bin/env bash
# Prepares a run on a lent GPU machine, which has the CUDA driver, cuBLAS and CUPTI but not Google Benchmark, spdlog or
# fmt: builds here and copies the binaries, with the shared libraries they need that such a machine lacks, into
# .carry/ (git-ignored; $BENCH_LLAMA_CARRY names another folder). Carry it there and run tools/device_run.sh.
#   tools/device_bundle.sh [PRESET]      (default release; the runbook's rehearsal test bundles the ci build)
#   tools/device_bundle.sh --check       only the size check: what the device tool would carry now, against its limit
# cuBLAS and CUPTI are not carried (hundreds of MB): device_run.sh finds them where the machine's CUDA install has them.
set -euo pipefail
cd "$(dirname "$0")/.."
carry=${BENCH_LLAMA_CARRY:-.carry}

# What travels to the device: the tracked files, the untracked files git does not ignore, and the carried bundle; at
# most 64 MiB. Results that came back belong in a git-ignored folder (device_out/, tools/device_results.sh) until the
# last call, or the next upload carries them.
check_size() {
  local carry_bytes=0 tree_bytes untracked
  [ -e "$carry" ] && carry_bytes=$(du -sb "$carry" | cut -f1)
  tree_bytes=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null |
    awk 'END {print $1 + 0}')
  echo "device_bundle: $carry is $((carry_bytes >> 20)) MiB, the tree the device tool carries (tracked and untracked" \
    "files git does not ignore) $((tree_bytes >> 20)) MiB"
  if (((carry_bytes + tree_bytes) > (60 << 20))); then
    untracked=$(git ls-files -z --others --exclude-standard | xargs -0 du -b 2>/dev/null | sort -rn | head -3 |
      awk '{printf "%s%s (%d MiB)", sep, $2, $1 / 1048576; sep = ", "}')
    echo "device_bundle: over 60 MiB together; the device tool carries at most 64 MiB. Largest untracked files:" \
      "${untracked:-none}. Move results into a git-ignored folder (device_out/), or drop a binary or an arch" >&2
    return 2
  fi
}
if [ "${1:-}" = --check ]; then
  check_size
  exit
fi
preset=${1:-release}
tools/build.sh "$preset"
build=build/$preset
rm -rf "$carry" && mkdir -p "$carry/bin" "$carry/lib"
# (reliability_tests, 10 MB of CPU-only fuzzing, stays here: the carried tree is limited to 64 MiB in all.)
cp "$build/bench/bench_llama" "$build/tests/bench/bench_gpu_tests" "$build/tests/bench/bench_unit_tests" \
   "$build/tests/kernels/kernels_gpu_tests" "$build/tests/roofline/roofline_tests" "$carry/bin/"
# The emulator's lane probe, once the build has one: the runbook's probe step runs it (and skips, saying so, without).
probe=$(find "$build" -type f -name lane_probe -perm -u+x 2>/dev/null | head -1)
[ -n "$probe" ] && cp "$probe" "$carry/bin/"
# The non-system libraries the binaries link: what ldd resolves to Google Benchmark, spdlog, fmt or GoogleTest.
for bin in "$carry"/bin/*; do
  ldd "$bin" | awk '/=> \// {print $3}'
done | sort -u | grep -E 'libbenchmark|libspdlog|libfmt|libgtest|libgmock' | while read -r lib; do
  cp -L "$lib" "$carry/lib/$(basename "$lib")"
done
{
  echo "preset=$preset"
  echo "commit=$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD -- 2>/dev/null || echo -dirty)"
  echo "built_on=$(. /etc/os-release && echo "$PRETTY_NAME"), $(ldd --version | head -1)"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$carry/BUNDLE"
# Every test binary links every kernel for every architecture: packed, the copies of the same fatbins shrink about 4x
# (tools/device_run.sh unpacks bin.tgz before its first step).
tar -czf "$carry/bin.tgz" -C "$carry" bin && rm -rf "${carry:?}/bin"
check_size
echo "device_bundle: $carry is ready ($(grep commit= "$carry/BUNDLE")); on the GPU machine: tools/device_run.sh (carry $carry)"
