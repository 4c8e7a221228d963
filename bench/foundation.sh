#!/usr/bin/env bash
# End-to-end figures for the foundation (issue 3): git add / checkout of a generated bf16 checkpoint
# through git-theta, next to sha256sum, plain git and git-lfs on the same files in the same run.
# Usage: bench/foundation.sh [MiB=1024] [tool...]   tools: git-theta git-lfs plain-git (default: all three;
# git-lfs needs 'apt-get install git-lfs')
set -eu
size=${1:-1024}
shift || true
tools=${*:-git-theta git-lfs plain-git}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bin/lib/java.sh"
theta_find_java
(cd "$root" && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" mvn -q -B -ntp -DskipTests package >&2)
work=$(mktemp -d "${TMPDIR:-/tmp}/theta-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$work/home/.gitconfig
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"
# the heap cap proves memory does not grow with checkpoint size
export GIT_THETA_JAVA_OPTS=-Xmx256m
gen() { "$THETA_JAVA" -jar "$root/bench/target/git-theta-bench.jar" "$@"; }
secs() { /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; cat "$work/t"; }
du_b() { du -sb "$1" 2>/dev/null | cut -f1; }

echo "generating ${size} MiB base and a version with 1% of tensors changed..." >&2
gen "$work/v1.safetensors" "$size"
gen "$work/v2.safetensors" "$size" 0.01 1.0 0.01 7
bytes=$(stat -c %s "$work/v1.safetensors")
cat "$work/v1.safetensors" > /dev/null

read -r t_sha _ < <(secs sha256sum "$work/v1.safetensors")
printf '| tool | add v1 (s) | max RSS (MiB) | add v2, 1%% changed (s) | checkout (s) | storage after v1 (MB) | storage added by v2 (MB) |\n|---|---|---|---|---|---|---|\n'

run() { # tool-name, setup commands..., store dir
  local name=$1 repo=$work/$1
  mkdir -p "$repo" && cd "$repo" && git init -q -b main
  case $name in
    git-theta) "$root/bin/git-theta" install --local && "$root/bin/git-theta" track '*.safetensors' ;;
    git-lfs) git lfs install --local >/dev/null && git lfs track '*.safetensors' >/dev/null ;;
    plain-git) ;;
  esac
  git add .gitattributes 2>/dev/null || true
  cp "$work/v1.safetensors" model.safetensors
  read -r a1 rss < <(secs git add model.safetensors)
  git commit -qm v1
  local s1; s1=$(du_b .git)
  cp "$work/v2.safetensors" model.safetensors
  read -r a2 _ < <(secs git add model.safetensors)
  git commit -qm v2
  local s2; s2=$(du_b .git)
  rm model.safetensors
  read -r co _ < <(secs git checkout -- model.safetensors)
  cmp model.safetensors "$work/v2.safetensors"
  printf '| %s | %s | %s | %s | %s | %.1f | %.1f |\n' "$name" "$a1" "$((rss / 1024))" "$a2" "$co" "$(awk "BEGIN{print $s1/1e6}")" "$(awk "BEGIN{print ($s2-$s1)/1e6}")"
  cd "$work" && rm -rf "$repo"
}
for tool in $tools; do
  if [ "$tool" = git-lfs ] && ! command -v git-lfs >/dev/null; then echo "(git-lfs not installed: skipped)"; continue; fi
  run "$tool"
done
echo
echo "checkpoint: $bytes bytes; sha256sum of it: ${t_sha} s; machine: $(nproc) cores; $(date -u +%Y-%m-%d)"
