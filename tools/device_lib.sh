# Helpers of tools/device_run.sh, which sources this file after setting what they read: the plan (all_steps, cap, flex,
# wanted, budget, pack_tail, start) and where things go (root, out, scratch, logs, folder, extra_folders).
# shellcheck shell=bash disable=SC2154,SC2034,SC2004

left() { echo $((budget - ($(date +%s) - start))); }
say() {  # STATUS STEP SECONDS TEXT...: one line of the summary, also on stdout
  printf '%-4s %-10s %4ss  %s\n' "$1" "$2" "$3" "${*:4}" | tee -a "$out/summary.txt"
  verdict[$2]=$1
}
declare -A verdict=()
pack_logs() {  # every log and the summary, into $OUT/logs.tgz (after every step; small)
  cp "$out/summary.txt" "$logs/summary.txt" 2>/dev/null
  if [ -n "$folder" ]; then
    timeout 20 tar -czf "$scratch/logs.tgz" -C "$root" "${folder#"$root"/}/logs"
  else
    timeout 20 tar -czf "$scratch/logs.tgz" -C "$scratch" device_logs
  fi
  mv -f "$scratch/logs.tgz" "$out/logs.tgz" 2>/dev/null
}
pack_results() {  # the result folders, without their logs (logs.tgz has them), into $OUT/results.tgz
  local dirs=() d
  for d in "$folder" "${extra_folders[@]}"; do [ -n "$d" ] && [ -d "$d" ] && dirs+=("${d#"$root"/}"); done
  ((${#dirs[@]})) || return 0
  timeout 60 tar -czf "$scratch/results.tgz" -C "$root" --exclude='*/logs' "${dirs[@]}" &&
    mv -f "$scratch/results.tgz" "$out/results.tgz"
}

# A step's time: `begin STEP` sets step_t0, step_cap and step_end from its cap and what is left of the budget (a
# flexible step also takes what the budget holds beyond the caps of the selected steps after it); false when less than
# 5 s are left. `capped LIMIT LOG COMMAND...` runs COMMAND under min(LIMIT, what is left of the step): TERM first, KILL
# at the limit (the grace between them: $grace seconds, at most a quarter of the limit), so a step never runs past its
# cap; it sets rc (200: not run, the step's time was spent).
later_caps() {
  local s sum=0 after=0
  for s in "${all_steps[@]}"; do
    ((after)) && wanted "$s" && sum=$((sum + cap[$s]))
    [ "$s" = "$1" ] && after=1
  done
  echo "$sum"
}
begin() {
  local limit=${cap[$1]} room=$(($(left) - 5))
  if [[ $flex == *" $1 "* ]]; then
    local spare=$(($(left) - $(later_caps "$1") - pack_tail))
    ((spare > limit)) && limit=$spare
  fi
  ((limit > room)) && limit=$room
  step_t0=$(date +%s) step_cap=$limit step_end=$(($(date +%s) + limit))
  ((limit >= 5))
}
step_left() { echo $((step_end - $(date +%s))); }
took() { echo $(($(date +%s) - step_t0)); }
capped() {
  local limit=$1 log=$2
  shift 2
  local room
  room=$(step_left)
  ((room < limit)) && limit=$room
  if ((limit < 3)); then
    rc=200
    echo "not run: the step's time was spent" >>"$log"
    return
  fi
  local kill=${grace:-2}  # a test process needs no grace; bench_llama closes its files on TERM (grace=10)
  ((kill > limit / 4)) && kill=$((limit / 4))
  ((kill < 1)) && kill=1
  timeout -s TERM -k "$kill" "$((limit - kill))" "$@" >>"$log" 2>&1
  rc=$?
}
inner() { local room=$(($(step_left))); ((room > $1)) && room=$1; ((room < 1)) && room=1; echo "$room"; }
# Runs `$MAKER NAME` (which sets the array cmd) then cmd for each NAME, JOBS at once, each under min(LIMIT, what is left
# of the step): output in DIR/NAME.log, exit status (200: not run) and seconds in DIR/NAME.rc.
pool() {  # DIR JOBS LIMIT MAKER NAME...
  local dir=$1 jobs=$2 limit=$3 maker=$4 name
  shift 4
  mkdir -p "$dir"
  for name in "$@"; do
    while (($(jobs -rp | wc -l) >= jobs)); do wait -n; done
    (
      "$maker" "$name"
      t0=$(date +%s)
      capped "$limit" "$dir/$name.log" "${cmd[@]}"
      echo "$rc $(($(date +%s) - t0))" >"$dir/$name.rc"
    ) &
  done
  wait
}
# Why a test process failed or skipped, in one line: an exception's description, else the first failed expectation
# with the two lines after it, else the first skip with its reason, else the first line that mentions an error.
why_failed() {
  awk '/exception with description/ && !e { e = $0 }
       grab > 0 { f = f " " $0; grab--; next }
       /: Failure$/ && !f { f = $0; grab = 2; next }
       skip { s = s " " $0; skip = 0; next }
       /: Skipped$/ && !s { s = $0; skip = 1; next }
       /[Ee]rror|ERROR/ && !r { r = $0 }
       END { print (e ? e : f ? f : s ? s : r) }' "$1" | tr -s ' ' | cut -c1-200
}
gtest_verdict() {  # LOG RC -> PASS | SKIP why | FAIL why | CUT | NOT-RUN
  case $2 in
    200) echo "NOT-RUN the step's time was spent first" ;;
    124 | 137) echo "CUT no result within its limit (a hang, or a deadlock the kernel's watchdog did not catch yet?)" ;;
    0)
      if grep -q '^\[  SKIPPED \]' "$1"; then
        echo "SKIP $(why_failed "$1")"
      elif grep -qE '^\[  PASSED  \] [1-9]' "$1"; then
        echo PASS
      else
        echo "FAIL exit 0, but no test ran"
      fi
      ;;
    *) echo "FAIL exit $2: $(why_failed "$1")" ;;
  esac
}
join() { local IFS=,; echo "$*"; }
list_minus() {  # LIST NAME...: the names of the comma-separated LIST that are not among the NAMEs, each once
  local list=$1 name d out="" keep
  shift
  for name in ${list//,/ }; do
    keep=1
    for d in "$@"; do [ "$d" = "$name" ] && keep=0; done
    [[ ,$out, == *",$name,"* ]] && keep=0
    ((keep)) && out+=${out:+,}$name
  done
  echo "$out"
}

# The folders where this machine may keep CUDA's libraries, into lib_dirs, each once and in order: the bundle's own,
# the CUDA install's (lib64, targets/x86_64-linux/lib, extras/CUPTI/lib64, lib), NVIDIA's Python wheels (nvidia-cublas,
# nvidia-cuda-cupti), as PyTorch images have them.
search_lib_dirs() {
  local d sub py
  lib_dirs=("$root/.carry/lib")
  for d in "${CUDA_HOME:-/usr/local/cuda}" /usr/local/cuda /usr/local/cuda-*; do
    for sub in lib64 targets/x86_64-linux/lib extras/CUPTI/lib64 lib; do
      [ -d "$d/$sub" ] && lib_dirs+=("$d/$sub")
    done
  done
  for py in "$python" python3 /opt/*/.venv/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    while read -r d; do [ -d "$d" ] && lib_dirs+=("$d"); done < <(timeout "$(inner 5)" "$py" - 2>/dev/null <<'PY'
import glob, site, sys
for base in site.getsitepackages() + [site.getusersitepackages()]:
    for d in sorted(glob.glob(base + "/nvidia/*/lib")):
        print(d)
PY
    )
  done
  mapfile -t lib_dirs < <(printf '%s\n' "${lib_dirs[@]}" | awk '!seen[$0]++')
}
find_lib() {  # SONAME -> the first folder of lib_dirs that has it
  local d
  for d in "${lib_dirs[@]}"; do
    if [ -e "$d/$1" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}
