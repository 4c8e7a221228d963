#!/usr/bin/env bash
# Merge benchmark (numbers in docs/performance.md): a bf16 checkpoint of TENSORS x 16 MiB (default 16: 256 MiB;
# TENSORS=64 for 1 GiB) and three full fine-tunes of it (every tensor changed), checkpoints from bench's
# MergeCheckpoint. In one run: one checkout of the checkpoint (git checkout, every tensor differs), `ties` and
# `fisher` merges of two fine-tunes (git merge through the merge driver, then git's checkout of the result), and a
# 3-way `ties` (git theta merge of two revisions into a third: one octopus commit). Per step: wall time, peak RSS of
# the whole command (git included: git holds a smudged file in memory) and of git-theta's own processes (each JVM
# the step starts runs under /usr/bin/time through a wrapper that the filter and the merge driver are wired to).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
THETA_BIN=${THETA_BIN:-$(cd "$HERE/../bin" && pwd)}
. "$HERE/../bin/lib/java.sh"
theta_find_java
(cd "$HERE/.." && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" \
  mvn -q -B -ntp -DskipTests package -pl bench -am >&2)
"$THETA_BIN/git-theta" --version >/dev/null # builds the jar first if needed
gen() { "$THETA_JAVA" -cp "$HERE/target/git-theta-bench.jar:$HERE/target/lib/*" org.gittheta.bench.MergeCheckpoint "$@"; }
W=$(mktemp -d); cd "$W"; export HOME=$W GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$W/gc \
  GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@b GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@b
mkdir wrap
cat > wrap/git-theta <<WRAP
#!/bin/sh
exec /usr/bin/time -f "%M %C" -a -o "$W/rss.log" "$THETA_BIN/git-theta" "\$@"
WRAP
chmod +x wrap/git-theta
export PATH=$W/wrap:$PATH
git init -q -b main r; cd r; git theta install --local; git theta track '*.safetensors'
git config filter.theta.process "$W/wrap/git-theta filter-process"
git config merge.theta.driver "$W/wrap/git-theta merge-driver %O %A %B %P"
gen m.safetensors 0 0; git add -A; git commit -qm base
for t in a:1 b:2 c:3; do
  git checkout -qb "${t%%:*}" main; gen m.safetensors "${t##*:}" 1; git commit -qam "${t%%:*}"
done
git checkout -q main
step() {
  label=$1; shift
  : >"$W/rss.log"
  /usr/bin/time -f "%e %M" -o "$W/time.log" "$@" >"$W/out.log" 2>&1 || echo "  (exit status $?)"
  read -r secs kib <"$W/time.log"
  read -r ours cmd <<<"$(sort -n "$W/rss.log" | tail -1)"
  printf '%-34s %7s s   peak RSS %5d MiB   git-theta processes %5d MiB (%s)\n' "$label" "$secs" $((kib / 1024)) \
    $((ours / 1024)) "$(echo "$cmd" | awk '{print $2}')"
  grep -E "CONFLICT|through the formula|[0-9]+ merged" "$W/out.log" | grep -v "^  merged" | head -3 || true
}
step "checkout (main -> a)" git checkout -q a
git checkout -q -B mties b
step "ties, 2 fine-tunes (git merge)" git theta merge --strategy ties --no-edit a
git checkout -q -B m3 c
step "ties, 3 fine-tunes (octopus)" git theta merge a b --strategy ties
gen ../fa.safetensors 1 1 fisher; gen ../fb.safetensors 2 1 fisher
git checkout -q -B mfisher b
step "fisher, 2 fine-tunes (git merge)" \
  git theta merge --strategy fisher --fisher-ours ../fb.safetensors --fisher-theirs ../fa.safetensors --no-edit a
cd /; rm -rf "$W"
