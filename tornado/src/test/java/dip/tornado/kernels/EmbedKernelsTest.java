package dip.tornado.kernels;

import dip.tornado.exec.JavaEngine;
import dip.util.Arena;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Timestep features (exact values for hand-computed t) and the class-embedding lookup and its backward. */
class EmbedKernelsTest {

    @Test
    void timestepFeaturesHandComputed() {
        // dim 256, half 128, max period 10: f_i = 10^(−i/128). For t = 0.5:
        //   i = 0:   f = 1          -> cos 0.5 = 0.87758256, sin 0.5 = 0.47942554
        //   i = 1:   f = 10^(−1/128) = 0.98217189 -> t·f = 0.49108595: cos = 0.88182128, sin = 0.47158378
        //   i = 64:  f = 10^(−1/2) = 0.31622777 -> t·f = 0.15811388: cos = 0.98752602, sin = 0.15745590
        //   i = 127: f = 10^(−127/128) = 0.10181517 -> t·f = 0.05090759: cos = 0.99870449, sin = 0.05088560
        // For t = 1: cos 1 = 0.54030231, sin 1 = 0.84147098; i = 64: cos 0.31622777 = 0.95041528, sin = 0.31098359.
        // (torch 1.13's timestep_embedding gives the same numbers to 1e-7; t is used directly, no ×1000.)
        float[] t = {0.5f, 1f}, out = new float[2 * 256];
        EmbedKernels.timestepFeatures(out, t, 0, 2, 256, 10f);
        float tol = 1e-6f;
        assertEquals(0.87758256f, out[0], tol, "cos(0.5·f0)");
        assertEquals(0.88182128f, out[1], tol, "cos(0.5·f1)");
        assertEquals(0.98752602f, out[64], tol, "cos(0.5·f64)");
        assertEquals(0.99870449f, out[127], tol, "cos(0.5·f127)");
        assertEquals(0.47942554f, out[128], tol, "sin(0.5·f0): sin comes second");
        assertEquals(0.47158378f, out[129], tol, "sin(0.5·f1)");
        assertEquals(0.15745590f, out[192], tol, "sin(0.5·f64)");
        assertEquals(0.05088560f, out[255], tol, "sin(0.5·f127)");
        assertEquals(0.54030231f, out[256], tol, "cos(1·f0)");
        assertEquals(0.95041528f, out[256 + 64], tol, "cos(1·f64)");
        assertEquals(0.84147098f, out[256 + 128], tol, "sin(1·f0)");
        assertEquals(0.31098359f, out[256 + 192], tol, "sin(1·f64)");
        for (int i = 0; i < 128; i++) {                                 // every column against the formula in double
            double f = Math.exp(-Math.log(10) * i / 128);
            assertEquals(Math.cos(0.5 * f), out[i], tol, "cos column " + i);
            assertEquals(Math.sin(0.5 * f), out[128 + i], tol, "sin column " + i);
        }
    }

    @Test
    void timestepFeaturesAtZeroAreOnesThenZeros() {
        float[] out = new float[8];
        EmbedKernels.timestepFeatures(out, new float[]{0f}, 0, 1, 8, 10f);
        assertArrayEquals(new float[]{1, 1, 1, 1, 0, 0, 0, 0}, out, 0f);
    }

    @Test
    void embeddingForwardKnownCase() {
        // table (3, 2): rows [1, 2], [3, 4], [5, 6]; y = [2, 0, 2]
        float[] table = {1, 2, 3, 4, 5, 6}, out = new float[6];
        EmbedKernels.embeddingForward(out, Arena.at(Arena.W_OFF, table), Arena.W_OFF, new int[]{2, 0, 2}, 0, 3, 2);
        assertArrayEquals(new float[]{5, 6, 1, 2, 5, 6}, out, 0f);
    }

    @Test
    void embeddingBackwardSumsRepeatedLabels() {
        // y = [2, 0, 2]: row 2 gets dout[0] + dout[2], row 0 gets dout[1], row 1 nothing.
        float[] dout = {1, 2, 3, 4, 10, 20}, dtable = Arena.zerosAt(Arena.W_OFF, 6);
        EmbedKernels.embeddingBackward(dtable, Arena.W_OFF, dout, new int[]{2, 0, 2}, 0, 3, 3, 2);
        assertArrayEquals(new float[]{3, 4, 0, 0, 11, 22}, Arena.slice(dtable, Arena.W_OFF, 6), 0f);
        Arena.assertOutsideUntouched("dtable", dtable, Arena.W_OFF, 6);
    }

    @Test
    void embeddingBackwardMatchesFiniteDifferencesAndSlices() {
        var rng = new Rng(31);
        int rows = 5, B = 7, D = 3;
        int[] y = new int[B];
        for (int b = 0; b < B; b++) y[b] = rng.nextInt(rows);
        y[1] = y[4];                                                      // a repeated label on purpose
        float[] table = rng.normal(rows * D), dout = rng.normal(B * D), dtable = new float[rows * D];
        EmbedKernels.embeddingBackward(dtable, 0, dout, y, 0, rows, B, D);
        GradCheck.assertDirectional("table", ts -> {
            float[] out = new float[B * D];
            EmbedKernels.embeddingForward(out, ts, 0, y, 0, B, D);
            return GradCheck.dot(out, dout, out.length);
        }, table, dtable, rng, 1e-2, Tol.GRAD_REL);
        float[] sliced = new float[rows * D];
        try (var engine = new JavaEngine(3)) {
            engine.parallelFor(rows, (lo, hi) -> EmbedKernels.embeddingBackward(sliced, 0, dout, y, lo, hi, B, D));
        }
        assertArrayEquals(dtable, sliced, 0f);
    }
}
