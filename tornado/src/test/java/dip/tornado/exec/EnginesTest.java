package dip.tornado.exec;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engine selection in a build without TornadoVM (the default build): java works, tornado explains how to launch. */
class EnginesTest {
    @Test void javaGivesTheJavaEngine() {
        try (Engine e = Engines.create("java", 2)) {
            assertEquals("java", e.name());
            assertEquals(2, e.threads());
        }
    }

    @Test void autoWithoutTornadoGivesTheJavaEngine() {
        org.junit.jupiter.api.Assumptions.assumeTrue(!Engines.tornadoLaunched(), "this JVM was launched for TornadoVM");
        try (Engine a = Engines.create("AUTO", 1)) {
            assertEquals("java", a.name());
            assertEquals(1, a.threads());
        }
    }

    @Test void tornadoWithoutTheRuntimeSaysHowToLaunch() {
        org.junit.jupiter.api.Assumptions.assumeTrue(!Engines.tornadoLaunched(), "this JVM was launched for TornadoVM");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Engines.create("tornado", 2));
        String m = e.getMessage();
        assertTrue(m.contains("TORNADOVM_HOME") && m.contains("tornado-argfile") && m.contains("dip.cli.DipCommand"), m);
        assertTrue(m.contains("tornado-argfile -Dtornado.load.annotation.parallel=dip.tornado.Parallel "),
                "must give the launch line that points TornadoVM at dip.tornado.Parallel: " + m);
    }

    @Test void badWordsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engines.create("cuda", 2));
        assertTrue(e.getMessage().contains("auto, java or tornado"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Engines.create("java", 0));
    }
}
