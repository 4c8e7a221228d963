#!/usr/bin/env bash
# `git add` speed, two git-theta builds side by side with git-lfs and a do-nothing filter (git's pipe floor): the
# same series (bench Series.java), the same minutes, interleaved version by version so that a loaded machine slows
# every tool alike. For measuring a change to the clean path against the commit before it (issue 12).
#
# usage: bench/add-speed.sh --before ROOT --after ROOT --series DIR [--versions "1 2 3 4 5"] [--repeat N] [--out FILE]
#   ROOT: a built checkout of git-theta (its bin/git-theta); DIR: the output of `Series DIR <MiB>`.
# Prints (and writes to FILE) a Markdown table: per version, median and min wall seconds of `git add` per tool, and
# the ratios of the after build to git-lfs and to the pipe floor.
set -eu
versions="1 2 3 4 5" repeat=1 out=/dev/null before= after= series=
while [ $# -gt 0 ]; do
  case $1 in
    --before) before=$2; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --series) series=$2; shift 2 ;;
    --versions) versions=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: bench/add-speed.sh --before ROOT --after ROOT --series DIR [--versions LIST] [--repeat N]" >&2
       exit 2 ;;
  esac
done
[ -n "$before" ] && [ -n "$after" ] && [ -n "$series" ] || { echo "bench/add-speed.sh: --before, --after and --series are needed" >&2; exit 2; }
command -v git-lfs >/dev/null || { echo "bench/add-speed.sh: git-lfs is not installed" >&2; exit 1; }
"$before/bin/git-theta" --version >/dev/null && "$after/bin/git-theta" --version >/dev/null # builds outside the timings

work=$(mktemp -d "${TMPDIR:-/tmp}/theta-add.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$work/home/.gitconfig
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"
git lfs install --skip-repo >/dev/null
tools="before after git-lfs pipe-floor"
raw=$work/raw.tsv
: > "$raw"

setup() { # TOOL: a fresh repository in the current directory
  git init -q -b main
  case $1 in
    before|after) local root; [ "$1" = before ] && root=$before || root=$after
      "$root/bin/git-theta" install --local >/dev/null 2>&1
      "$root/bin/git-theta" track '*.safetensors' >/dev/null ;;
    git-lfs) git lfs track '*.safetensors' >/dev/null ;;
    pipe-floor) git config filter.floor.clean "wc -c"; git config filter.floor.smudge cat
      echo '*.safetensors filter=floor' > .gitattributes ;;
  esac
  git add .gitattributes && git commit -qm attributes
}

for r in $(seq "$repeat"); do
  for tool in $tools; do rm -rf "$work/$tool"; mkdir -p "$work/$tool"; (cd "$work/$tool" && setup "$tool"); done
  for v in $versions; do
    for tool in $tools; do
      cd "$work/$tool"
      cp "$series/v$v.safetensors" model.safetensors
      sync # the copy's and the last step's writeback are not this add's
      /usr/bin/time -f '%e %U %S' -o "$work/t" git add model.safetensors
      read -r secs user sys < "$work/t"
      printf '%s\tv%s\t%s\t%s\n' "$tool" "$v" "$secs" "$(awk "BEGIN {print $user + $sys}")" >> "$raw"
      git commit -q --allow-empty -m "v$v"
      echo "repetition $r, v$v, $tool: $secs s" >&2
    done
  done
  for tool in $tools; do rm -rf "$work/$tool"; done
done

awk -F'\t' -v tools="$tools" -v versions="$versions" -v repeat="$repeat" '
  { t[$1, $2] = t[$1, $2] (t[$1, $2] == "" ? "" : " ") $3; c[$1, $2] = c[$1, $2] (c[$1, $2] == "" ? "" : " ") $4 }
  function stat(list, which,   a, k, i, j, x) {
    k = split(list, a, " ")
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { x = a[i]; a[i] = a[j]; a[j] = x }
    return which == "min" ? a[1] : (k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2)
  }
  END {
    nt = split(tools, tl, " "); nv = split(versions, vl, " ")
    printf "%s repetition(s); cells: median (min) wall seconds of `git add`, [median CPU seconds of git and its filter]\n\n", repeat
    printf "| version |"; for (i = 1; i <= nt; i++) printf " %s |", tl[i]; printf " after / before | after / git-lfs | after / pipe floor |\n"
    printf "|---|"; for (i = 1; i <= nt + 3; i++) printf "---|"; printf "\n"
    for (j = 1; j <= nv; j++) {
      v = "v" vl[j]; printf "| %s |", v
      for (i = 1; i <= nt; i++) printf " %.2f (%.2f) [%.1f] |", stat(t[tl[i], v], "med"), stat(t[tl[i], v], "min"), stat(c[tl[i], v], "med")
      a = stat(t["after", v], "med")
      printf " %.2f | %.2f | %.2f |\n", a / stat(t["before", v], "med"), a / stat(t["git-lfs", v], "med"), a / stat(t["pipe-floor", v], "med")
    }
  }' "$raw" | tee "$out"
