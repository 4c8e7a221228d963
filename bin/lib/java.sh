# Sourced by bin/git-theta and bin/test: finds a JDK >= 25 and builds the project when its sources changed.
# Sets THETA_JAVA (the java binary) and THETA_JAVA_HOME.

theta_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

theta_java_major() { # prints the major version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

theta_find_java() {
  local candidate major
  for candidate in ${JAVA_HOME:+"$JAVA_HOME"} /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk*; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(theta_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      THETA_JAVA_HOME=$candidate
      THETA_JAVA=$candidate/bin/java
      return 0
    fi
  done
  echo "git-theta: needs a JDK 25 or newer and found none (JAVA_HOME${JAVA_HOME:+=$JAVA_HOME} and /usr/lib/jvm were searched)." >&2
  echo "git-theta: install one, e.g. 'apt-get install temurin-25-jdk' (Adoptium) or 'apt-get install openjdk-25-jdk', or set JAVA_HOME to it." >&2
  return 1
}

theta_jar=$theta_root/git-theta-cli/target/git-theta.jar

theta_needs_build() { # the jar is missing, or older than a source of a module it contains (or a hook script)
  [ -f "$theta_jar" ] || return 0
  [ -n "$(find "$theta_root/pom.xml" "$theta_root"/git-theta-core "$theta_root"/filters "$theta_root"/git-theta-cli \
      "$theta_root"/hooks \( -path '*/src/main/*' -o -path "$theta_root/hooks/*" -o -name pom.xml \) \
      -type f -newer "$theta_jar" -print -quit 2>/dev/null)" ]
}

theta_build() {
  if ! command -v mvn >/dev/null 2>&1; then
    echo "git-theta: building needs Apache Maven: install it (e.g. 'apt-get install maven')." >&2
    return 1
  fi
  echo "git-theta: building (first use or sources changed)..." >&2
  (cd "$theta_root" && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" mvn -q -B -DskipTests package >&2) || {
    echo "git-theta: build failed (see above)." >&2
    return 1
  }
  touch "$theta_jar" # maven leaves an up-to-date jar alone; mark it checked against the sources
}
