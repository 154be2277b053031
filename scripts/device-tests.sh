#!/usr/bin/env bash
# Runs the device tests (TornadoKernelsTest, TornadoEngineTest, DeviceModelTest; docs/tornadovm.md §2) without Maven,
# for a machine with a GPU and a TornadoVM SDK but no package registry (scripts/gpu-check.sh calls it).
#
#   TORNADOVM_HOME=/path/to/sdk scripts/device-tests.sh [JUnit console options, e.g. --select-method ...]
#
# Needs the tree built where Maven reaches its registry, with TORNADOVM_HOME set:
#   TORNADOVM_HOME=... mvn -B -ntp package -DskipTests
# which leaves trainer/target/dip.jar, the device tests' classes (tornado/ and test/ target/test-classes) and JUnit's
# console launcher (test/target/device-tests/). The JVM gets the flags Maven gives these tests: TornadoVM's argfile,
# the @Parallel annotation, and no bailout to plain Java (a kernel the device cannot compile fails its test).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/jdk.sh"
if [ -z "${TORNADOVM_HOME:-}" ] || [ ! -f "$TORNADOVM_HOME/tornado-argfile" ]; then
  echo "error: set TORNADOVM_HOME to a TornadoVM SDK (it must hold tornado-argfile); see docs/tornadovm.md" >&2
  exit 2
fi
jar="$root/trainer/target/dip.jar"
launcher=$(ls "$root"/test/target/device-tests/junit-platform-console-standalone-*.jar 2>/dev/null | head -1 || true)
for need in "$jar" "$root/tornado/target/test-classes/dip/tornado/exec/tornadovm/TornadoKernelsTest.class" \
            "$root/test/target/test-classes/dip/test/tornadovm/DeviceModelTest.class" "$launcher"; do
  if [ -z "$need" ] || [ ! -e "$need" ]; then
    echo "error: ${need:-the JUnit console launcher (test/target/device-tests/)} is missing: build the tree with TORNADOVM_HOME set" \
      "(TORNADOVM_HOME=... mvn -B -ntp package -DskipTests) where Maven can reach its registry" >&2
    exit 2
  fi
done
# The SDK's argfile puts '.' on the module path: use a copy without it, as scripts/dip does.
own="${TMPDIR:-/tmp}/dip-tornado-argfile.$(id -u)"
sed -e 's#--module-path \.:#--module-path #' "$TORNADOVM_HOME/tornado-argfile" > "$own"
cp="$jar:$root/tornado/target/test-classes:$root/test/target/test-classes:$launcher"
selected=(--select-class dip.tornado.exec.tornadovm.TornadoKernelsTest --select-class dip.tornado.exec.tornadovm.TornadoEngineTest
          --select-class dip.test.tornadovm.DeviceModelTest)
[ $# -gt 0 ] && selected=("$@")
exec java --add-modules jdk.incubator.vector -Xmx6g @"$own" -Dtornado.load.annotation.parallel=dip.tornado.Parallel \
  -Dtornado.recover.bailout=False -Dtornado.tvm.maxbytecodesize=262144 -Djava.awt.headless=true \
  -cp "$cp" org.junit.platform.console.ConsoleLauncher execute --disable-banner --disable-ansi-colors --fail-if-no-tests --details=tree "${selected[@]}"
