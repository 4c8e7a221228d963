#!/usr/bin/env bash
# Housekeeping at scale (issue 11): git theta fsck, gc, squash, status and ls-files on a repository holding the 8
# versions of bench/run's series (Series.java: SIZE MiB of bf16 each, default 1024), next to git lfs fsck and
# git lfs prune on the same series in a git-lfs repository, in the same run, steps interleaved across the tools.
# Each repository also has a branch `extra` with two more versions (v8 with 32 MiB of its values overwritten, at two
# places); it is deleted (and the reflogs expired) before the gc/prune step, so that those collect something.
#
# usage: bench/housekeeping.sh [--size MiB] [--theta LABEL=BINDIR]...
#   --theta  a git-theta build to measure (its bin/ folder), repeatable: e.g. a clone of main as `before`, then this
#            checkout as `after`. The first build makes the repository; every build runs the commands that change
#            nothing there (fsck, gc --dry-run, status, ls-files), in turn; the last one runs gc and squash.
#            Default: this checkout's bin/ as `git-theta`.
# Per step: wall time and peak RSS (of the command and everything it waited for; git-theta is one JVM), plus the
# store's size before and after gc/prune. Prints a markdown table.
set -eu
size=1024
builds=()
root=$(cd "$(dirname "$0")/.." && pwd)
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --theta) builds+=("$2"); shift 2 ;;
    *) echo "usage: bench/housekeeping.sh [--size MiB] [--theta LABEL=BINDIR]..." >&2; exit 2 ;;
  esac
done
[ ${#builds[@]} -gt 0 ] || builds=("git-theta=$root/bin")
command -v git-lfs >/dev/null || { echo "bench/housekeeping.sh: needs git-lfs (Debian package git-lfs)" >&2; exit 1; }

. "$root/bin/lib/java.sh"
theta_find_java
(cd "$root" && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" \
  mvn -q -B -ntp -DskipTests package -pl bench -am >&2)
for b in "${builds[@]}"; do "${b#*=}/git-theta" --version >/dev/null; done # builds each jar outside the timings

W=$(mktemp -d "${TMPDIR:-/tmp}/theta-housekeeping.XXXXXX")
trap 'rm -rf "$W"' EXIT
export HOME=$W/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$W/home/gitconfig
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"
git lfs install --skip-repo >/dev/null

echo "housekeeping: generating the ${size} MiB series..." >&2
"$THETA_JAVA" -cp "$root/bench/target/git-theta-bench.jar:$root/bench/target/lib/*" org.gittheta.bench.Series \
  "$W/series" "$size"
for x in 1 2; do # values overwritten with random bytes: new objects that only branch `extra` uses
  cp "$W/series/v8.safetensors" "$W/series/x$x.safetensors"
  dd if=/dev/urandom of="$W/series/x$x.safetensors" bs=1M count=32 seek=$((size * x / 3)) conv=notrunc status=none
done

labels=()
for b in "${builds[@]}"; do labels+=("${b%%=*}"); done
first=${labels[0]} last=${labels[-1]}
tools=(lfs theta) # the repositories: git-lfs's, and git-theta's (made with the first build)
bin_of() { local b; for b in "${builds[@]}"; do [ "${b%%=*}" = "$1" ] && echo "${b#*=}"; done; }

setup() { # TOOL: a fresh repository $W/repo-TOOL
  local repo=$W/repo-$1
  git init -q -b main "$repo"
  cd "$repo"
  if [ "$1" = lfs ]; then
    git lfs track '*.safetensors' >/dev/null
  else
    # the build's own launcher for the filter and for `git theta`, configured in this repository only
    "$(bin_of "$first")/git-theta" install --local >/dev/null
    "$(bin_of "$first")/git-theta" track '*.safetensors' >/dev/null
  fi
  git add .gitattributes && git commit -qm attributes
}

commit() { # TOOL FILE MESSAGE
  cd "$W/repo-$1"
  cp "$W/series/$2.safetensors" model.safetensors
  git add model.safetensors
  git commit -qm "$3"
}

rows=$W/rows.md
: > "$rows"
store_mb() { du -sb .git/theta/objects .git/lfs/objects 2>/dev/null | awk '{s += $1} END {printf "%.0f", s / 1e6}'; }

step() { # TOOL LABEL CMD...: one row of the table (TOOL: lfs or a build's label); the command's last output line too
  local tool=$1 label=$2; shift 2
  if [ "$tool" = lfs ]; then cd "$W/repo-lfs"; else cd "$W/repo-theta"; fi
  echo "housekeeping: $tool: $label" >&2
  local status=0 path=$PATH
  [ "$tool" = lfs ] || path=$(bin_of "$tool"):$PATH # `git theta` is this build's (the filter stays the first's)
  PATH=$path /usr/bin/time -f '%e %M' -o "$W/time" "$@" > "$W/out" 2>&1 || status=$?
  read -r secs kib < "$W/time"
  local last
  last=$(grep -v '^\s*$' "$W/out" | tail -n1 | tr '|' '/' | cut -c1-90)
  [ $status = 0 ] || last="exit $status: $last"
  printf '| %s | `%s` | %s | %d | %s |\n' "$tool" "$label" "$secs" $((kib / 1024)) "$last" >> "$rows"
}

for tool in "${tools[@]}"; do setup "$tool"; done
for v in 1 2 3 4 5 6 7 8; do
  echo "housekeeping: committing v$v" >&2
  for tool in "${tools[@]}"; do commit "$tool" "v$v" "v$v"; done
done
for tool in "${tools[@]}"; do
  cd "$W/repo-$tool"
  git checkout -q -b extra
  commit "$tool" x1 x1
  commit "$tool" x2 x2
  git checkout -q main
done

started=$(date -u +%Y-%m-%dT%H:%MZ)
load=$(cut -d' ' -f1-3 /proc/loadavg)
for tool in "${tools[@]}"; do
  cd "$W/repo-$tool"
  printf '| %s | store before gc/prune | | | %s MB |\n' "$tool" "$(store_mb)" >> "$rows"
done
step lfs "git lfs fsck" git lfs fsck
for build in "${labels[@]}"; do step "$build" "git theta fsck" git theta fsck; done
for build in "${labels[@]}"; do step "$build" "git theta fsck --all" git theta fsck --all; done
for build in "${labels[@]}"; do step "$build" "git theta gc --dry-run" git theta gc --dry-run; done
for build in "${labels[@]}"; do step "$build" "git theta status" git theta status; done
for build in "${labels[@]}"; do step "$build" "git theta ls-files" git theta ls-files; done
for tool in "${tools[@]}"; do
  cd "$W/repo-$tool"
  git branch -q -D extra
  git reflog expire --expire=now --all
done
for build in "${labels[@]}"; do
  step "$build" "git theta gc --dry-run --prune=now" git theta gc --dry-run --prune=now
done
step lfs "git lfs prune" git lfs prune
step "$last" "git theta gc --prune=now" git theta gc --prune=now
for tool in "${tools[@]}"; do
  cd "$W/repo-$tool"
  printf '| %s | store after gc/prune | | | %s MB |\n' "$tool" "$(store_mb)" >> "$rows"
done
step "$last" "git theta squash" git theta squash
step "$last" "git theta fsck" git theta fsck

echo
echo "Series of $size MiB x 8 versions (+2 on a deleted branch), $(nproc) cores, load $load at $started," \
  "$(git --version), $(git lfs version | cut -d' ' -f1)."
echo
echo "git-theta builds: ${builds[*]}"
echo
echo "| tool | command | wall s | peak RSS MiB | last line of output / size |"
echo "|---|---|---|---|---|"
cat "$rows"
