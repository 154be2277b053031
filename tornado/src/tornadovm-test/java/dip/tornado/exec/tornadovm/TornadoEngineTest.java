package dip.tornado.exec.tornadovm;

// CPU vs TornadoVM (STYLE.md proof 4): the same MatmulKernels methods, run by JavaEngine and by TornadoEngine on
// TornadoVM's default device, must agree. Compiled and run only by the `tornadovm` profile (TORNADOVM_HOME set), whose
// surefire argLine carries the SDK's argfile; there a runtime that does not start fails the test, it is not skipped.

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dip.tornado.exec.JavaEngine;
import dip.util.Rng;
import dip.util.Tol;

import java.util.Arrays;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TornadoEngineTest {
    private static TornadoEngine dev;
    private static JavaEngine cpu;

    @BeforeAll
    static void start() {
        dev = new TornadoEngine(false);
        cpu = new JavaEngine(2);
    }

    @AfterAll
    static void stop() {
        if (dev != null) dev.close();
        if (cpu != null) cpu.close();
    }

    private static final int[][] SHAPES = {{3, 5, 7}, {64, 96, 80}, {257, 129, 65}};   // R, IN, OUT; odd on purpose

    @Test
    void matmulForwardMatchesCpu() {
        for (int[] s : SHAPES) {
            int R = s[0], IN = s[1], OUT = s[2];
            var rng = new Rng(7 + R);
            float[] x = rng.normal(R * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT);
            float[] ref = new float[R * OUT], got = new float[R * OUT];
            cpu.matmulForward(ref, x, w, b, R, IN, OUT);
            dev.matmulForward(got, x, w, b, R, IN, OUT);
            assertClose("matmulForward out " + Arrays.toString(s), ref, got);
        }
    }

    @Test
    void matmulBackwardInputAccumulatesLikeCpu() {
        for (int[] s : SHAPES) {
            int R = s[0], IN = s[1], OUT = s[2];
            var rng = new Rng(11 + R);
            float[] dout = rng.normal(R * OUT), w = rng.normal(OUT * IN);
            float[] ref = rng.normal(R * IN), got = ref.clone();          // non-zero start: proves it accumulates
            cpu.matmulBackwardInput(ref, dout, w, R, IN, OUT);
            dev.matmulBackwardInput(got, dout, w, R, IN, OUT);
            assertClose("matmulBackwardInput dx " + Arrays.toString(s), ref, got);
        }
    }

    @Test
    void matmulBackwardWeightAccumulatesLikeCpu() {
        for (int[] s : SHAPES) {
            int R = s[0], IN = s[1], OUT = s[2];
            var rng = new Rng(13 + R);
            float[] dout = rng.normal(R * OUT), x = rng.normal(R * IN);
            float[] dwRef = rng.normal(OUT * IN), dwGot = dwRef.clone(), dbRef = rng.normal(OUT), dbGot = dbRef.clone();
            cpu.matmulBackwardWeight(dwRef, dbRef, dout, x, R, IN, OUT);
            dev.matmulBackwardWeight(dwGot, dbGot, dout, x, R, IN, OUT);
            assertClose("matmulBackwardWeight dW " + Arrays.toString(s), dwRef, dwGot);
            assertClose("matmulBackwardWeight db " + Arrays.toString(s), dbRef, dbGot);
        }
    }

    @Test
    void repeatedCallsReuseThePlanAndSeeNewActivations() {
        int R = 9, IN = 11, OUT = 13;
        var rng = new Rng(3);
        float[] x = rng.normal(R * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT);
        float[] ref = new float[R * OUT], got = new float[R * OUT];
        dev.matmulForward(got, x, w, b, R, IN, OUT);
        int plans = dev.plans();
        rng.fillNormal(x, R * IN, 1f);                                    // a layer's next step: same buffer, new data
        cpu.matmulForward(ref, x, w, b, R, IN, OUT);
        dev.matmulForward(got, x, w, b, R, IN, OUT);
        assertEquals(plans, dev.plans(), "the second call with the same arrays and shape must reuse its plan");
        assertClose("matmulForward out after new x", ref, got);
    }

    @Test
    void rowsPastRAreLeftAlone() {
        int maxRows = 8, R = 5, IN = 6, OUT = 4;                           // a layer's buffer, a smaller batch
        var rng = new Rng(5);
        float[] x = rng.normal(maxRows * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT);
        float[] ref = new float[maxRows * OUT], got = new float[maxRows * OUT];
        Arrays.fill(ref, 42f);
        Arrays.fill(got, 42f);
        cpu.matmulForward(ref, x, w, b, R, IN, OUT);
        dev.matmulForward(got, x, w, b, R, IN, OUT);
        assertClose("matmulForward out, rows past R", ref, got);
        assertEquals(42f, got[maxRows * OUT - 1], "a row past R was overwritten");
    }

    @Test
    void residentWeightsAreCopiedOnceOnly() {
        int R = 4, IN = 3, OUT = 2;
        var rng = new Rng(9);
        float[] x = rng.normal(R * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT);
        float[] out = new float[R * OUT], first;
        try (var resident = new TornadoEngine(true)) {
            resident.matmulForward(out, x, w, b, R, IN, OUT);
            first = out.clone();
            Arrays.fill(w, 0f);                               // a host-side update the resident plan must not see
            resident.matmulForward(out, x, w, b, R, IN, OUT); // same arrays, same plan
        }
        assertClose("resident weights: second call uses the first weights", first, out);
    }

    @Test
    void autoPicksTornadoWhenLaunchedForIt() {
        try (var e = dip.tornado.exec.Engines.create("auto", 1)) {
            assertEquals("tornado", e.name());
        }
    }

    @Test
    void refusesToStartUnlessTornadoReadsDipParallel() {
        String key = "tornado.load.annotation.parallel", launched = System.getProperty(key);
        try {
            for (String other : new String[] {"uk.ac.manchester.tornado.api.annotations.Parallel", null}) {
                if (other == null) System.clearProperty(key); else System.setProperty(key, other);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> new TornadoEngine(false));
                assertTrue(e.getMessage().contains("tornado-argfile -Dtornado.load.annotation.parallel=dip.tornado.Parallel -cp"),
                        e.getMessage());
            }
        } finally {
            System.setProperty(key, launched);
        }
    }

    /** Max-abs comparison, tolerance scaled by the reference's magnitude (FMA and summation order may differ). */
    private static void assertClose(String what, float[] ref, float[] got) {
        assertEquals(ref.length, got.length, what + ": length");
        double scale = 1.0;
        for (float v : ref) scale = Math.max(scale, Math.abs(v));
        double tol = Tol.FAST_VS_NAIVE * scale;
        int worst = -1;
        double worstErr = -1;
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs((double) ref[i] - got[i]);
            if (!(e <= worstErr)) { worst = i; worstErr = e; }            // NaN counts as worst
        }
        if (!(worstErr <= tol)) {
            fail(String.format("%s [%d]: cpu %.7g, tornado %.7g, |diff| %.3g > tol %.3g on %s",
                    what, worst, ref[worst], got[worst], worstErr, tol, dev.deviceName()));
        }
    }
}
