#!/usr/bin/env bash
# What comes back from a lent GPU machine (tools/device_run.sh's $OUT), here: unpacked outside the tree the device tool
# carries, its plots drawn here, and only after the session's last call moved into results/ to be committed.
#   tools/device_results.sh unpack FILES_AT [NAME]   a call's files into device_out/NAME/ (default call1, call2, ...):
#                                                   each run's summary, result folders and logs; then the plots, and
#                                                   each sweep judged against the targets (scripts/check_targets.py,
#                                                   with its repeat and Medusa sweep from any call) in NAME/targets_*.md,
#                                                   and each old-against-new comparison's pairs of variants
#                                                   (scripts/rank_variants.py) in NAME/ranks_*.md
#   tools/device_results.sh keep NAME...            the result folders of device_out/NAME/ into results/, git-added
# device_out/ is git-ignored, so what came back never travels up with the next call (the upload stays under 64 MiB
# whatever came back).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${BENCH_LLAMA_PYTHON:-$PWD/.venv/bin/python}

unpack() {  # FROM [NAME]
  local from=$1 name=${2:-} n=1 dest run sub tgz csv folder
  if [ ! -f "$from/summary.txt" ]; then
    echo "device_results: no summary.txt in $from: not what tools/device_run.sh leaves in \$OUT" >&2
    exit 2
  fi
  if [ -z "$name" ]; then
    while [ -e "device_out/call$n" ]; do n=$((n + 1)); done
    name=call$n
  fi
  dest=device_out/$name
  if [ -e "$dest" ]; then
    echo "device_results: $dest exists already; name another folder" >&2
    exit 2
  fi
  # The first run of a call wrote to $OUT itself, a second one to $OUT/2, and so on.
  for run in "$from" "$from"/[0-9]*; do
    [ -f "$run/summary.txt" ] || continue
    sub=$dest${run#"$from"}
    mkdir -p "$sub"
    cp "$run/summary.txt" "$sub/"
    for tgz in results.tgz logs.tgz; do
      if [ -f "$run/$tgz" ]; then tar -xzf "$run/$tgz" -C "$sub"; fi
    done
    echo "== $sub"
    cat "$sub/summary.txt"
  done
  # The plots: the runbook passes --no-plot on the device, where drawing would cost device time.
  while read -r csv; do
    folder=$(dirname "$csv")
    if "$python" scripts/plot_roofline.py "$folder" --out "$folder/roofline.png" >"$folder/plot.log" 2>&1; then
      rm -f "$folder/plot.log"
      echo "plot: $folder/roofline.png"
    else
      echo "device_results: no plot for $folder: $(tail -1 "$folder/plot.log")" >&2
    fi
  done < <(find "$dest" -path '*/results/*' -name roofline.csv)
  # The targets: each sweep that has come back so far, with the repeat and the Medusa sweep named after it, whichever
  # call brought them (a rerun in a later call, whole, before the first call's cut one; of two the latest call's); and
  # the pairs of variants of each old-against-new comparison. The reports go with this call, the latest, each named
  # after the call that brought its folder.
  local base args sibling suffix rc report call
  while read -r csv; do
    folder=$(dirname "$csv")
    call=${folder#device_out/} call=${call%%/*}
    case $folder in
      *_old_vs_new | *_old_vs_new_rerun)  # which of a kernel and its successor was faster, for kernels/variants.cu
        report=$dest/ranks_${call}_$(basename "$folder").md
        if "$python" scripts/rank_variants.py "$folder" >"$report" 2>&1; then
          echo "ranks: $report ($(grep -c '| NEW FIRST |' "$report" || true) new first)"
        else
          echo "device_results: no ranks for $folder: $(tail -1 "$report")" >&2
        fi
        continue
        ;;
      *_medusa | *_repeat | *_repeat_rerun | *_medusa_rerun) continue ;;
    esac
    base=$(basename "$folder") args=()
    for suffix in _repeat_rerun _repeat; do
      sibling=$(latest "$base$suffix")
      if [ -n "$sibling" ]; then args+=(--repeat "$sibling"); break; fi
    done
    for suffix in _medusa_rerun _medusa; do
      sibling=$(latest "$base$suffix")
      if [ -n "$sibling" ]; then args+=(--medusa "$sibling"); break; fi
    done
    report=$dest/targets_${call}_$base.md rc=0
    "$python" scripts/check_targets.py "$folder" "${args[@]}" >"$report" 2>&1 || rc=$?
    if ((rc <= 1)); then  # 1: a target was missed, which the report says
      echo "targets: $report ($(grep -c '| MET |' "$report" || true) met, $(grep -c '| MISSED |' "$report" || true)" \
        "missed)"
    else
      echo "device_results: no targets for $folder: $(tail -1 "$report")" >&2
    fi
  done < <(find device_out -path '*/results/*' -name roofline.csv)
}

latest() {  # BASENAME: the result folder of that name from the latest call that brought one, or nothing
  find device_out -path "*/results/*/$1/roofline.csv" | sort -rV | sed -n '1s|/roofline.csv$||p'
}

keep() {  # NAME...
  local name src csv folder target status=0
  for name in "$@"; do
    src=device_out/${name#device_out/}
    if [ ! -d "$src" ]; then
      echo "device_results: no $src" >&2
      exit 2
    fi
    while read -r csv; do
      folder=$(dirname "$csv")
      target=results/${folder#*/results/}
      if [ -e "$target" ]; then
        echo "device_results: $target exists already; $folder stays where it is (rename one of them by hand)" >&2
        status=2
        continue
      fi
      mkdir -p "$(dirname "$target")"
      mv "$folder" "$target"
      git add -- "$target"
      echo "kept: $target"
    done < <(find "$src" -path '*/results/*' -name roofline.csv)
  done
  return $status
}

case ${1:-} in
  unpack)
    [ $# -ge 2 ] || { echo "usage: tools/device_results.sh unpack FILES_AT [NAME]" >&2; exit 2; }
    unpack "${@:2}"
    ;;
  keep)
    [ $# -ge 2 ] || { echo "usage: tools/device_results.sh keep NAME..." >&2; exit 2; }
    keep "${@:2}"
    ;;
  *)
    echo "usage: tools/device_results.sh unpack FILES_AT [NAME] | keep NAME..." >&2
    exit 2
    ;;
esac
