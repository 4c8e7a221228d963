#!/usr/bin/env bash
# Checkout side by side: git-theta launchers (e.g. a build of main and this tree) against git-lfs, on the same files,
# in the same run, interleaved repetition by repetition so that a loaded machine slows every tool alike.
#
# usage: bench/checkout.sh [--size MiB] [--repeat N] [--versions "1 7"] [--work DIR] LAUNCHER...
#
# One git-theta repository (every launcher reads the same store) and one git-lfs repository hold v1, v2, v3 and v7 of
# bench's Series (v1 a dense keyframe; v7 xor-delta over v3 (xor-delta) over v2 (sparse) over v1: the end of a chain).
# Per repetition, version and tool: the file removed and `git checkout vN -- model.safetensors` through the filter
# ("smudge"), then the direct write: HEAD detached at vN and the file removed and checked out again with
# GIT_*_SKIP_SMUDGE=1 (leaves the manifest or pointer), then `git theta checkout` / `git lfs checkout` ("direct"). Each result is compared
# with `cmp`. Wall time, CPU time, and peak RSS of git and of the filter process or direct-write command (/usr/bin/time).
# Prints a Markdown table (min and median per cell, ratio of each launcher's median to git-lfs's).
# The series and repositories stay in --work (default /tmp/theta-checkout-bench) for later runs: delete it after.
set -eu
size=1024 repeat=3 versions="1 7" work=/tmp/theta-checkout-bench
root=$(cd "$(dirname "$0")/.." && pwd)
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --versions) versions=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "usage: bench/checkout.sh [--size MiB] [--repeat N] [--versions LIST] [--work DIR] LAUNCHER..." >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "bench/checkout.sh: name at least one git-theta launcher (bin/git-theta)" >&2; exit 2; }
launchers=()
for l in "$@"; do launchers+=("$(cd "$(dirname "$l")" && pwd)/$(basename "$l")"); done
command -v git-lfs >/dev/null || { echo "bench/checkout.sh: needs git-lfs" >&2; exit 1; }

. "$root/bin/lib/java.sh"
theta_find_java
for l in "${launchers[@]}"; do "$l" --version >/dev/null; done # builds each launcher's jar outside the timings

export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$work/home/.gitconfig
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"
series=$work/series
if [ ! -f "$series/v7.safetensors" ]; then
  (cd "$root" && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" \
    mvn -q -B -ntp -DskipTests package -pl bench -am >&2)
  "$THETA_JAVA" -cp "$root/bench/target/git-theta-bench.jar:$root/bench/target/lib/*" \
    org.gittheta.bench.Series "$series" "$size"
  rm -f "$series"/v4.* "$series"/v5.* "$series"/v6.* "$series"/v8.*
fi
rss_log=$work/filter-rss
measure="/usr/bin/time -a -o $rss_log -f %M"
git lfs install --skip-repo --force >/dev/null
git config --global filter.lfs.process "$measure git-lfs filter-process"

# the first launcher stores the history; the others only read it
theta_filter() { echo "$measure $1 filter-process"; }
if [ ! -d "$work/git-theta/.git" ]; then
  rm -rf "$work/git-theta" "$work/git-lfs"
  for tool in git-theta git-lfs; do
    mkdir -p "$work/$tool" && cd "$work/$tool" && git init -q -b main
    if [ "$tool" = git-theta ]; then
      git config filter.theta.process "$(theta_filter "${launchers[0]}")"
      git config filter.theta.required true
      echo '*.safetensors filter=theta' > .gitattributes
    else
      git lfs track '*.safetensors' >/dev/null
    fi
    git add .gitattributes && git commit -qm attributes
    for v in 1 2 3 7; do
      cp "$series/v$v.safetensors" model.safetensors
      git add model.safetensors && git commit -qm "v$v" && git tag "v$v"
    done
  done
fi

raw=$work/raw.tsv
: > "$raw"
# timed LABEL CMD...: wall seconds, peak RSS of CMD and its children, peak RSS of the filter processes it started, CPU
# seconds (user + system) of CMD and its children: on a loaded machine the CPU time varies far less than the wall time
timed() {
  local label=$1; shift
  rm -f "$rss_log"
  sync # writing back what earlier steps wrote is not this step's time
  /usr/bin/time -f '%e %M %U %S' -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r secs rss user sys < "$work/t"
  local filter=0
  [ -s "$rss_log" ] && filter=$(sort -n "$rss_log" | tail -n1)
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$secs" "$((rss / 1024))" "$((filter / 1024))" \
    "$(awk "BEGIN {print $user + $sys}")" >> "$raw"
}
check() { cmp -s model.safetensors "$series/v$1.safetensors" || { echo "bench/checkout.sh: $2: v$1 differs" >&2; exit 1; }; }

for r in $(seq "$repeat"); do
  for v in $versions; do
    echo "bench/checkout.sh: repetition $r, v$v, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    i=0
    for l in "${launchers[@]}" git-lfs; do
      i=$((i + 1))
      if [ "$l" = git-lfs ]; then
        name=git-lfs; cd "$work/git-lfs"
        rm -f model.safetensors
        timed "$name	smudge v$v" git checkout "v$v" -- model.safetensors
        check "$v" "$name smudge"
        GIT_LFS_SKIP_SMUDGE=1 git checkout -q --detach "v$v" # git lfs checkout writes what HEAD holds
        rm -f model.safetensors
        GIT_LFS_SKIP_SMUDGE=1 git checkout -- model.safetensors
        timed "$name	direct v$v" git lfs checkout model.safetensors
      else
        name="theta-$i"; cd "$work/git-theta"
        cfg=(-c filter.theta.process="$(theta_filter "$l")")
        rm -f model.safetensors
        timed "$name	smudge v$v" git "${cfg[@]}" checkout "v$v" -- model.safetensors
        check "$v" "$name smudge"
        GIT_THETA_SKIP_SMUDGE=1 git "${cfg[@]}" checkout -q --detach "v$v"
        rm -f model.safetensors
        GIT_THETA_SKIP_SMUDGE=1 git "${cfg[@]}" checkout -- model.safetensors
        # git -c passes the filter on to the update-index that the command runs
        timed "$name	direct v$v" env PATH="$(dirname "$l"):$PATH" git "${cfg[@]}" theta checkout model.safetensors
      fi
      check "$v" "$name direct"
      git diff --quiet || { echo "bench/checkout.sh: $name: the work tree differs from the index" >&2; exit 1; }
    done
  done
done

echo "Launchers: $(i=0; for l in "${launchers[@]}"; do i=$((i + 1)); printf 'theta-%d = %s (%s); ' $i "$l" \
  "$(git -C "$(dirname "$l")" rev-parse --short HEAD 2>/dev/null)"; done)file of $(stat -c %s "$series/v1.safetensors") bytes,"
echo "$repeat repetition(s), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load at the end $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Wall and CPU (user + system of git and every process it started): median (min) seconds; RSS: largest of the"
echo "repetitions, MiB (git and its children / the filter process, or the direct-write command)."
echo
awk -F'\t' '
  { key = $2 "\t" $1; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    t[key] = t[key] (t[key] == "" ? "" : " ") $3; cpu[key] = cpu[key] (cpu[key] == "" ? "" : " ") $6
    if ($4 > rss[key]) rss[key] = $4; if ($5 > frss[key]) frss[key] = $5 }
  function sorted(list, a,   k, i, j, x) { k = split(list, a, " ")
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { x = a[i]; a[i] = a[j]; a[j] = x }
    return k }
  function median(list,   a, k) { k = sorted(list, a); return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
  function least(list,   a) { sorted(list, a); return a[1] }
  END {
    print "| step | tool | wall s, median (min) | wall × git-lfs | CPU s, median (min) | CPU × git-lfs | peak RSS MiB git / ours |"
    print "|---|---|---|---|---|---|---|"
    for (i = 1; i <= n; i++) { m[order[i]] = median(t[order[i]]); mc[order[i]] = median(cpu[order[i]]) }
    for (i = 1; i <= n; i++) {
      split(order[i], p, "\t"); lfs = m[p[1] "\tgit-lfs"]; lfsc = mc[p[1] "\tgit-lfs"]
      printf "| %s | %s | %.2f (%.2f) | %.2f | %.2f (%.2f) | %.2f | %d / %d |\n", p[1], p[2], m[order[i]],
        least(t[order[i]]), (lfs > 0 ? m[order[i]] / lfs : 0), mc[order[i]], least(cpu[order[i]]),
        (lfsc > 0 ? mc[order[i]] / lfsc : 0), rss[order[i]], frss[order[i]]
    }
  }' "$raw"
