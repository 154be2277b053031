# Sourced by the scripts: picks a JDK 25 (Temurin under /usr/lib/jvm, or JAVA_HOME if it is one) and exports JAVA_HOME.
# (The output is captured whole, not piped to grep -q: under pipefail a reader that stops early fails the pipe.)
_dip_is_25() { [ -x "$1/bin/java" ] && [[ "$("$1/bin/java" -version 2>&1 | sed -n 1p)" =~ \"25([.\"]|$) ]]; }
if [ -n "${JAVA_HOME:-}" ] && _dip_is_25 "$JAVA_HOME"; then
  :
else
  JAVA_HOME=""
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25*; do
    if _dip_is_25 "$d"; then JAVA_HOME="$d"; break; fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "error: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*25*). Install Temurin 25 and set JAVA_HOME to it." >&2
    exit 1
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
