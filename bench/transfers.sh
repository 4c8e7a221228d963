#!/usr/bin/env bash
# Transfers through one Git LFS server on loopback, git-theta next to git-lfs in the same run (issue 12):
#   push   `git push` of a commit holding the checkpoint to an empty bare remote; the pre-push hooks upload the
#          objects to the (emptied) LFS server: git-theta its parameter objects, git-lfs the whole file
#   clone  `git clone` of that remote: the smudge filters download and write the checkpoint
#   fetch  transfer alone: a clone that leaves pointers/manifests (GIT_LFS_SKIP_SMUDGE / GIT_THETA_SKIP_SMUDGE),
#          then `git lfs fetch` / `git theta fetch`, which download into the local store without checking out
# Two checkpoints: "large" (a ~1 GiB LLaMA-shaped bf16 file, GenerateModel) and "many" (LayeredModel: a small
# hidden size and many layers, 1,000+ parameters of 0.5 KiB to 350 KiB, where batching and pipelining matter).
# The tools alternate which goes first; the server (the tests' gitlfs-server in Jetty, basic auth) is emptied before
# each push. Prints one Markdown row per run and step, then min and median per tool.
# THETA_BEFORE=<another checkout of git-theta, built> adds that build as a third tool ("before") in the same run,
# so a change is measured against the build it started from on the same loaded machine; each run reverses the order.
# usage: bench/transfers.sh [repeats] [MiB of the large checkpoint]   (needs `mvn -q -DskipTests package`, git-lfs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPEATS=${1:-3}
MIB=${2:-1024}
BEFORE=${THETA_BEFORE:+$(cd "$THETA_BEFORE" && pwd)}
TOOLS="lfs theta${BEFORE:+ before}"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
CP="$ROOT/bench/target/git-theta-bench.jar:$ROOT/bench/target/lib/*"
W=$(mktemp -d /tmp/transfers-bench.XXXXXX)
. "$ROOT/bench/lib/git-sandbox.sh"
git_sandbox "$W"
export PATH=$ROOT/bin:$PATH
cat >"$GIT_CONFIG_GLOBAL" <<'EOF'
[init]
	defaultBranch = main
[credential]
	helper = "!f() { echo username=u; echo password=p; }; f"
[advice]
	detachedHead = false
EOF
git lfs install --skip-repo >/dev/null
git theta install >/dev/null 2>&1
if [ -n "$BEFORE" ]; then "$BEFORE/bin/git-theta" --version >/dev/null; fi # builds it now, not inside a timing

# the server lives as long as this script: it stops when its standard input (a fifo held open here) closes
mkfifo "$W/server-stdin"
"$JAVA" -cp "$CP" org.gittheta.bench.ServeLfs "$W/server" <"$W/server-stdin" >"$W/server-url" 2>"$W/server-log" &
SERVER=$!
exec 3>"$W/server-stdin"
trap 'exec 3>&-; wait $SERVER 2>/dev/null; rm -rf "$W"' EXIT
until [ -s "$W/server-url" ]; do sleep 0.2; done
URL=$(cat "$W/server-url")

"$JAVA" -cp "$CP" org.gittheta.bench.GenerateModel "$W/large.safetensors" "$MIB"
PARAMS_MANY=$("$JAVA" -cp "$CP" org.gittheta.bench.LayeredModel "$W/many.safetensors" 256 688 150 2048)

# a committed repository per tool and checkpoint, made once; each run pushes it to a new bare remote
for case in large many; do
    for tool in $TOOLS; do
        r=$W/$case-$tool
        git init -q "$r"
        (cd "$r"
         git config lfs.url "$URL"
         case $tool in
             theta) git theta install --local >/dev/null 2>&1; git theta track '*.safetensors' >/dev/null ;;
             before) "$BEFORE/bin/git-theta" install --local >/dev/null 2>&1 # its filter and pre-push hook
                     "$BEFORE/bin/git-theta" track '*.safetensors' >/dev/null ;;
             lfs) git lfs install --local >/dev/null; git lfs track '*.safetensors' >/dev/null ;;
         esac
         cp "$W/$case.safetensors" model.safetensors
         git add . && git commit -qm base)
    done
done

seconds() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>"$W/last-err" || { cat "$W/last-err" >&2; exit 1; }
    e=$(date +%s%N); echo "scale=2; ($e - $s) / 1000000000" | bc; }
server_mib() { find "$W/server" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f", s / 1048576}'; }

push() { # tool case run
    local r=$W/$2-$1 remote=$W/remotes/$2-$1-$3.git
    git init -q --bare "$remote"
    (cd "$r" && git remote remove origin 2>/dev/null; git remote add origin "$remote"
     git for-each-ref --format='%(refname)' refs/remotes | xargs -r -n1 git update-ref -d)
    (cd "$r" && seconds git push -q origin main)
}
launcher() { # tool: the git-theta launcher it runs
    if [ "$1" = before ]; then echo "$BEFORE/bin/git-theta"; else echo "$ROOT/bin/git-theta"; fi
}
clone() { # tool case run
    local dest=$W/clones/$2-$1-$3
    seconds git clone -q -c lfs.url="$URL" -c filter.theta.process="'$(launcher "$1")' filter-process" \
        "$W/remotes/$2-$1-$3.git" "$dest"
    cmp -s "$dest/model.safetensors" "$W/$2.safetensors" || { echo "clone of $1 $2 differs" >&2; exit 1; }
    rm -rf "$dest"
}
fetch() { # tool case run
    local dest=$W/clones/$2-$1-$3-fetch
    GIT_LFS_SKIP_SMUDGE=1 GIT_THETA_SKIP_SMUDGE=1 git clone -q -c lfs.url="$URL" "$W/remotes/$2-$1-$3.git" "$dest"
    if [ "$1" = lfs ]; then (cd "$dest" && seconds git lfs fetch)
    else (cd "$dest" && seconds "$(launcher "$1")" fetch); fi
    rm -rf "$dest"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); large: $(stat -c %s "$W/large.safetensors") bytes; many: $PARAMS_MANY parameters"
ratio() { echo "scale=2; $1 / $2" | bc; }
if [ -n "$BEFORE" ]; then
    echo "| case | run | step | git-lfs s | git-theta s | ratio | before s | ratio to before | server MiB lfs / theta |"
    echo "|---|---|---|---|---|---|---|---|---|"
else
    echo "| case | run | step | git-lfs s | git-theta s | ratio | server MiB lfs / theta |"
    echo "|---|---|---|---|---|---|---|"
fi
declare -A all=()
for run in $(seq "$REPEATS"); do
    order=$TOOLS; if [ $((run % 2)) = 0 ]; then order=$(tr ' ' '\n' <<<"$TOOLS" | tac | tr '\n' ' '); fi
    for case in large many; do
        declare -A t=() mib=()
        # every push goes to an empty server (emptied, not removed: the server writes into it): the two git-theta
        # builds push the same objects, so what one pushed is set aside meanwhile, then put back for the clones
        find "$W/server" -mindepth 1 -delete
        mkdir -p "$W/held"
        for tool in $order; do
            t[$tool-push]=$(push $tool $case $run)
            mib[$tool]=$(server_mib)
            find "$W/server" -mindepth 1 -maxdepth 1 -exec mv -f -t "$W/held" {} +
        done
        find "$W/held" -mindepth 1 -maxdepth 1 -exec mv -f -t "$W/server" {} +
        for step in clone fetch; do for tool in $order; do t[$tool-$step]=$($step $tool $case $run); done; done
        for step in push clone fetch; do
            before=""
            if [ -n "$BEFORE" ]; then before=" ${t[before-$step]} | $(ratio "${t[theta-$step]}" "${t[before-$step]}") |"; fi
            echo "| $case | $run | $step | ${t[lfs-$step]} | ${t[theta-$step]} | $(ratio "${t[theta-$step]}" "${t[lfs-$step]}") |$before ${mib[lfs]} / ${mib[theta]} |"
            for tool in $TOOLS; do all[$case-$step-$tool]+="${t[$tool-$step]} "; done
        done
        unset t mib
    done
done
minmed() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {printf "%s / %s", a[1], a[int((NR+1)/2)]}'; }
echo
echo "| case | step | git-lfs min / median s | git-theta min / median s |${BEFORE:+ before min / median s |}"
echo "|---|---|---|---|${BEFORE:+---|}"
for case in large many; do for step in push clone fetch; do
    echo "| $case | $step | $(minmed "${all[$case-$step-lfs]}") | $(minmed "${all[$case-$step-theta]}") |${BEFORE:+ $(minmed "${all[$case-$step-before]}") |}"
done; done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
