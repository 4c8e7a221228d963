# Sourced by bin/git-theta and bin/test: finds a JDK >= 25 and builds the project when its sources changed.
# Sets THETA_JAVA (the java binary) and THETA_JAVA_HOME.
# git starts bin/git-theta for every filter, merge driver and `git theta` command: everything here that runs on
# every call stays cheap (no JVM probe, no build tool; see "Start-up" in docs/performance.md).

theta_lib=${BASH_SOURCE[0]}
case $theta_lib in */*) ;; *) theta_lib=./$theta_lib ;; esac
theta_root=$(cd "${theta_lib%/*}/../.." && pwd)
theta_target=$theta_root/git-theta-cli/target
theta_jar=$theta_target/git-theta.jar
# the JDK found by the last search, so that later calls skip it
theta_java_home_cache=$theta_target/java-home
# the JVM's ahead-of-time caches (JEP 483/515), made by a training run: one of every command whose start-up counts,
# and one of the filter process alone. A cache holds the training's method profiles, and a JVM started with it
# compiles every method the training compiled: a filter given the merge driver's and the transfers' too spent ~0.7 s
# more of a core in the JIT per 1 GiB add (docs/performance.md, "Start-up").
theta_aot=$theta_target/git-theta.aot
theta_aot_filter=$theta_target/git-theta-filter.aot
# flags of every git-theta JVM; the AOT cache is only used by a JVM started with the flags it was trained with.
# The JVM's own warnings go to stderr, not to its default stdout: a filter's stdout carries only git's protocol.
# Multi-release jars are read as plain jars: zstd-jni's Java 22+ classes bind zstd through FFM, whose method handles
# and downcall stubs cannot be kept in the AOT cache (it refuses classes from META-INF/versions), so every process
# that compressed generated ~340 classes and kept the JIT busy compiling their generator; its JNI classes are cached.
# MethodType.makeImpl is never compiled: hot while a JVM links its lambdas and method handles, its C2 compilation took
# 0.6 s of the one C2 thread at the start of every filter, while the SHA-256 of the values waited in slow Java code for
# its intrinsic to be compiled (1 GiB add: 23 % less CPU; docs/performance.md). "quiet": no message on stdout.
theta_jvm_flags=(--enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss2m -Xlog:disable -Xlog:all=warning:stderr
  -Djdk.util.jar.enableMultiRelease=false -XX:CompileCommand=quiet
  -XX:CompileCommand=exclude,java.lang.invoke.MethodType::makeImpl)

theta_java_major() { # prints the major version of the JDK at $1, or nothing
  local line
  if [ -r "$1/release" ]; then # every JDK since 9 has it: reading it costs no JVM start
    while IFS= read -r line; do
      case $line in JAVA_VERSION=\"*) line=${line#JAVA_VERSION=\"}; echo "${line%%[!0-9]*}"; return ;; esac
    done <"$1/release"
  fi
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

theta_is_jdk25() { # $1 is a JDK (java and javac) of version 25 or newer
  local major
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  major=$(theta_java_major "$1")
  [ -n "$major" ] && [ "$major" -ge 25 ]
}

theta_use_java() {
  THETA_JAVA_HOME=$1
  THETA_JAVA=$1/bin/java
}

theta_find_java() {
  local candidate cached
  if [ -n "${JAVA_HOME:-}" ] && theta_is_jdk25 "$JAVA_HOME"; then theta_use_java "$JAVA_HOME"; return 0; fi
  if [ -r "$theta_java_home_cache" ] && read -r cached <"$theta_java_home_cache" && theta_is_jdk25 "$cached"; then
    theta_use_java "$cached"
    return 0
  fi
  # GIT_THETA_JDK_DIRS replaces the places searched (tests simulate a machine without a JDK 25 with it)
  for candidate in ${GIT_THETA_JDK_DIRS:-/usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk*}; do
    if theta_is_jdk25 "$candidate"; then
      theta_use_java "$candidate"
      mkdir -p "$theta_target" && echo "$candidate" >"$theta_java_home_cache.$$" && mv "$theta_java_home_cache.$$" "$theta_java_home_cache"
      return 0
    fi
  done
  echo "git-theta: needs a JDK 25 or newer and found none (JAVA_HOME${JAVA_HOME:+=$JAVA_HOME} and /usr/lib/jvm were searched)." >&2
  echo "git-theta: install one, e.g. 'apt-get install temurin-25-jdk' (Adoptium) or 'apt-get install openjdk-25-jdk', or set JAVA_HOME to it." >&2
  return 1
}

theta_needs_build() { # the jar is missing, or older than a source file or directory, pom or hook script it contains
  [ -f "$theta_jar" ] || return 0
  # directories count too: deleting or renaming a source file changes only its directory
  [ -n "$(find "$theta_root/pom.xml" "$theta_root"/git-theta-core "$theta_root"/filters "$theta_root"/git-theta-cli \
      "$theta_root"/hooks -name target -prune -o \( -path '*/src/main*' -o -path "$theta_root/hooks*" -o -name pom.xml \) -newer "$theta_jar" -print -quit 2>/dev/null)" ]
}

theta_aot_current() { # $1 (the AOT cache or its failure mark) was made for this jar and this script's JVM flags
  [ "$1" -nt "$theta_jar" ] && [ "$1" -nt "$theta_root/bin/lib/java.sh" ]
}

theta_needs_aot() { # the AOT caches are not current, and training has not failed for this jar and these flags
  ! theta_aot_current "$theta_aot" && ! theta_aot_current "$theta_aot.failed"
}

theta_aot_for() { # sets THETA_AOT_FLAGS: the JVM flag of the current AOT cache for the command $1, if there is one
  THETA_AOT_FLAGS=()
  if [ "$1" = filter-process ] && theta_aot_current "$theta_aot_filter"; then
    THETA_AOT_FLAGS=(-XX:AOTCache="$theta_aot_filter")
  elif theta_aot_current "$theta_aot"; then
    THETA_AOT_FLAGS=(-XX:AOTCache="$theta_aot")
  fi
}

theta_build() {
  if ! command -v mvn >/dev/null 2>&1; then
    echo "git-theta: building needs Apache Maven: install it (e.g. 'apt-get install maven')." >&2
    return 1
  fi
  echo "git-theta: building (first use or sources changed)..." >&2
  # Debian's Maven 3.8 writes colour resets even in batch mode: they are taken out of what reaches the user
  (cd "$theta_root" && set -o pipefail && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" mvn -q -B -Dstyle.color=never -DskipTests package 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2) || {
    echo "git-theta: build failed (see above)." >&2
    return 1
  }
  touch "$theta_jar" # maven leaves an up-to-date jar alone; mark it checked against the sources
  theta_train_aot
}

theta_tiny_checkpoint() { # writes a 2-parameter float32 safetensors file to $1 (start-up training and bench)
  local header='{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}'
  # 8-byte little-endian header length, JSON header, data
  { printf "\\x$(printf %02x ${#header})\\0\\0\\0\\0\\0\\0\\0%s" "$header"; printf '\0\0\x80\x3f\0\0\0\x40\0\0\x40\x40'; } >"$1"
}

# A training run for the AOT caches: a filter process (what git starts most) cleans a tiny checkpoint in a
# throw-away repository, after a --version and a merge driver in the same JVM (org.gittheta.cli.AotTraining),
# recording what it loads; a second filter process, alone in its JVM, cleans the same in a copy of that repository
# for the filter's own cache. The caches are then created from those records. They are an optimisation only: when
# training fails the JVM runs without them (and training is not retried for this jar and these flags).
theta_train_aot() {
  local work rc=0
  rm -f "$theta_aot" "$theta_aot_filter" "$theta_aot.failed"
  echo "git-theta: creating the start-up cache (once per build)..." >&2
  work=$(mktemp -d "${TMPDIR:-/tmp}/git-theta-aot.XXXXXX") || return 0
  theta_train_in "$work" >"$theta_aot.log" 2>&1 || rc=$?
  rm -rf "$work"
  if [ "$rc" -ne 0 ] || ! [ -s "$theta_aot" ] || ! [ -s "$theta_aot_filter" ]; then
    rm -f "$theta_aot" "$theta_aot_filter"
    touch "$theta_aot.failed"
    echo "git-theta: could not create the start-up cache (see $theta_aot.log); running without it." >&2
  fi
  return 0
}

theta_train_in() ( # $1: an empty directory
  set -e
  local work=$1 java record filter_record
  printf -v java '%q ' "$THETA_JAVA" "${theta_jvm_flags[@]}" -Dgittheta.launcher="$theta_root/bin/git-theta" -cp "$theta_jar"
  printf -v record '%q ' -XX:AOTMode=record -XX:AOTConfiguration="$work/conf" org.gittheta.cli.AotTraining \
    "$work/base" "$work/ours" "$work/base" base.safetensors
  printf -v filter_record '%q ' -XX:AOTMode=record -XX:AOTConfiguration="$work/filter.conf" org.gittheta.cli.Main \
    filter-process
  # a launcher started by git (a filter, `git -c filter.theta.process=...`) inherits git's GIT_DIR, GIT_INDEX_FILE and
  # -c settings: they would point the training's git at the caller's repository and filter (itself, waiting for this)
  unset $(git rev-parse --local-env-vars)
  git init -q "$work/repo"
  cd "$work/repo"
  export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$work/gitconfig HOME=$work
  git config filter.theta.process "$java org.gittheta.cli.Main filter-process"
  git config filter.theta.required true
  echo '*.safetensors filter=theta' >.gitattributes
  theta_tiny_checkpoint base.safetensors
  git add .gitattributes base.safetensors # not recorded: the manifest the recorded merge driver merges
  git cat-file -p :base.safetensors >"$work/base"
  cp "$work/base" "$work/ours"
  # the recorded filter also cleans real-sized steps against staged versions (TrainingCheckpoints): the paths of a
  # large add, whose method handles and lambdas would otherwise be generated (and their generator compiled) at run time
  eval "$java org.gittheta.cli.demo.TrainingCheckpoints . base"
  git add ./*-step.safetensors
  eval "$java org.gittheta.cli.demo.TrainingCheckpoints . next"
  theta_tiny_checkpoint model.safetensors
  cp -a "$work/repo" "$work/filter-repo"
  theta_train_add "$java $record"
  grep -q "^git-theta manifest" "$work/ours" # the merge driver wrote its result
  cd "$work/filter-repo"
  theta_train_add "$java $filter_record"
  theta_create_aot "$work/conf" "$theta_aot"
  theta_create_aot "$work/filter.conf" "$theta_aot_filter"
)

theta_train_add() { # $1: the recorded filter process, which cleans the training's next versions
  git config filter.theta.process "$1"
  git add model.safetensors ./*-step.safetensors new.safetensors
  git cat-file -p :model.safetensors | grep -q '^git-theta manifest'
  git cat-file -p :dense-step.safetensors | grep -q '^git-theta manifest'
}

theta_create_aot() { # $1: a training's record, $2: the cache to create from it
  "$THETA_JAVA" "${theta_jvm_flags[@]}" -XX:AOTMode=create -XX:AOTConfiguration="$1" -XX:AOTCache="$2.$$" \
    -Dgittheta.launcher="$theta_root/bin/git-theta" -cp "$theta_jar"
  mv "$2.$$" "$2"
}
