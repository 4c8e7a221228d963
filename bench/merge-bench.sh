#!/usr/bin/env bash
# Merge benchmark (numbers in docs/performance.md): a bf16 checkpoint of TENSORS x 16 MiB (default 16: 256 MiB;
# TENSORS=64 for 1 GiB) and three full fine-tunes of it (every tensor changed), checkpoints from bench's
# MergeCheckpoint. In one run: six checkouts of the checkpoint (git checkout, every tensor differs; the fastest is
# the reference of every ratio), `ties` and `fisher` merges of two fine-tunes (git merge through the merge driver,
# then git's checkout of the result), and a
# 3-way `ties` (git theta merge of two revisions into a third: one octopus commit). Per step: wall time, its ratio to
# the checkout's, peak RSS of the whole command (git included: git holds a smudged file in memory) and of
# git-theta's own processes, per subcommand (each JVM the step starts runs through bench/lib/own-peak-rss, which the
# filter and the merge driver are wired to: each JVM's own VmHWM, sampled, so that `merge`, the `git theta merge`
# command, is no longer charged the git it waits for and git's copy of the file).
# BEFORE_BIN=<other checkout>/bin compares two builds in the same run: the set-up repository is copied, and every
# step runs with this build, then with the other one in its copy, interleaved, so that both see the same load.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
THETA_BIN=${THETA_BIN:-$(cd "$HERE/../bin" && pwd)}
. "$HERE/../bin/lib/java.sh"
theta_find_java
(cd "$HERE/.." && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" \
  mvn -q -B -ntp -DskipTests package -pl bench -am >&2)
"$THETA_BIN/git-theta" --version >/dev/null # builds the jar first if needed
if [ -n "${BEFORE_BIN:-}" ]; then "$BEFORE_BIN/git-theta" --version >/dev/null; fi
gen() { "$THETA_JAVA" -cp "$HERE/target/git-theta-bench.jar:$HERE/target/lib/*" org.gittheta.bench.MergeCheckpoint "$@"; }
W=$(mktemp -d); cd "$W"; export HOME=$W GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$W/gc \
  GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@b GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@b
wrap() { # wrap <variant> <bin>: a git-theta that records each JVM's own peak RSS (not its children's) in $W/rss.log
  mkdir "wrap-$1"
  cat >"wrap-$1/git-theta" <<WRAP
#!/bin/sh
exec "$HERE/lib/own-peak-rss" "$W/rss.log" "$2/git-theta" "\$@"
WRAP
  chmod +x "wrap-$1/git-theta"
}
wire() { # wire <repo> <variant>: the repository's filter and merge driver run that variant
  git -C "$1" config filter.theta.process "$W/wrap-$2/git-theta filter-process"
  git -C "$1" config merge.theta.driver "$W/wrap-$2/git-theta merge-driver %O %A %B %P"
}
wrap after "$THETA_BIN"
variants=after
if [ -n "${BEFORE_BIN:-}" ]; then wrap before "$BEFORE_BIN"; variants="after before"; fi
export PATH=$W/wrap-after:$PATH
git init -q -b main r; cd r; git theta install --local; git theta track '*.safetensors'
wire . after
gen m.safetensors 0 0; git add -A; git commit -qm base
for t in a:1 b:2 c:3; do
  git checkout -qb "${t%%:*}" main; gen m.safetensors "${t##*:}" 1; git commit -qam "${t%%:*}"
done
git checkout -q main
gen ../fa.safetensors 1 1 fisher; gen ../fb.safetensors 2 1 fisher
cd "$W"
if [ -n "${BEFORE_BIN:-}" ]; then cp -a r r-before; wire r-before before; fi
mv r r-after
declare -A checkout_secs
step() { # step <variant> <label> <command...>, run in that variant's repository
  variant=$1 label=$2; shift 2
  : >"$W/rss.log"
  sync # writing back what earlier steps wrote (a gigabyte each) is not this step's time
  (cd "$W/r-$variant" && PATH=$W/wrap-$variant:$PATH /usr/bin/time -f "%e %M" -o "$W/time.log" "$@" \
    >"$W/out.log" 2>&1) || echo "  (exit status $?)"
  read -r secs kib <"$W/time.log"
  ours=$(awk '$1 ~ /^[0-9]+$/ && $1 > max[$3] { max[$3] = $1 }
    END { for (c in max) printf "%s%s %d MiB", (n++ ? ", " : ""), c, max[c] / 1024 }' "$W/rss.log")
  if [[ $label == checkout* ]] && { [ -z "${checkout_secs[$variant]:-}" ] \
    || [ "$(echo "$secs < ${checkout_secs[$variant]}" | bc)" = 1 ]; }; then
    checkout_secs[$variant]=$secs # the fastest checkout so far: one slow run does not flatter every ratio
  fi
  printf '%-6s %-34s %7s s %5.1fx   peak RSS %5d MiB   git-theta processes: %s\n' "$variant" "$label" \
    "$secs" "$(echo "$secs / ${checkout_secs[$variant]}" | bc -l)" $((kib / 1024)) "$ours"
  grep -E "CONFLICT|through the formula|[0-9]+ merged" "$W/out.log" | grep -v "^  merged" | head -3 || true
}
for round in 1 2 3; do
  for v in $variants; do
    step "$v" "checkout (main -> a)" git checkout -q a
    step "$v" "checkout (a -> main)" git checkout -q main
  done
done
for v in $variants; do
  git -C "r-$v" checkout -q -B mties b
  step "$v" "ties, 2 fine-tunes (git merge)" git theta merge --strategy ties --no-edit a
done
for v in $variants; do
  git -C "r-$v" checkout -q -B m3 c
  step "$v" "ties, 3 fine-tunes (octopus)" git theta merge a b --strategy ties
done
for v in $variants; do
  git -C "r-$v" checkout -q -B mfisher b
  step "$v" "fisher, 2 fine-tunes (git merge)" \
    git theta merge --strategy fisher --fisher-ours ../fb.safetensors --fisher-theirs ../fa.safetensors --no-edit a
done
values() { # values <repo> <branch>: each merged parameter's name, type, shape and values' hash, not how it is stored
  git -C "$1" show "$2:m.safetensors" | grep '^param ' | sed 's/ update=.*//'
}
for v in $variants; do
  if [ "$v" != after ]; then
    for b in mties m3 mfisher; do
      [ "$(values r-after "$b")" = "$(values "r-$v" "$b")" ] || echo "merge $b: the two builds' merged values differ"
    done
  fi
done
cd /; rm -rf "$W"
