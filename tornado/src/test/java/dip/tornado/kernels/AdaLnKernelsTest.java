package dip.tornado.kernels;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** adaLN modulate and gated residual: hand-worked cases and finite-difference checks of every backward. */
class AdaLnKernelsTest {
    // Odd sizes, 6 chunks as in a block, with the MLP chunks (3, 4, 5) so the chunk offsets are exercised.
    private static final int B = 3, N = 5, D = 7, CH = 6, SHIFT = 3, SCALE = 4, GATE = 5;

    @Test
    void modulateKnownCase() {
        // B = 2, N = 1, D = 2, two chunks [shift, scale] (DiT FinalLayer order).
        // sample 0: shift = [1, 2], scale = [0, 1]  -> x = [3, 4]   -> [3·1 + 1, 4·2 + 2] = [4, 10]
        // sample 1: shift = [0, -1], scale = [-1, 0.5] -> x = [5, -2] -> [5·0 + 0, -2·1.5 − 1] = [0, -4]
        float[] x = {3, 4, 5, -2};
        float[] mod = {1, 2, 0, 1, 0, -1, -1, 0.5f};
        float[] out = new float[4];
        AdaLnKernels.modulateForward(out, x, mod, 0, 2, 1, 2, 2, 0, 1);
        assertArrayEquals(new float[]{4, 10, 0, -4}, out, 0f);
        // dmod with dout = ones: dshift = 1, dscale = x.
        float[] dmod = new float[8];
        AdaLnKernels.modulateBackwardMod(dmod, new float[]{1, 1, 1, 1}, x, 0, 4, 1, 2, 2, 0, 1);
        assertArrayEquals(new float[]{1, 1, 3, 4, 1, 1, 5, -2}, dmod, 0f);
    }

    @Test
    void gateResidualKnownCase() {
        // B = 1, N = 2, D = 1, three chunks, gate = chunk 2 = [0.5]: out = x + 0.5·y.
        float[] x = {1, 2}, y = {4, -6}, mod = {9, 9, 0.5f}, out = new float[2];
        AdaLnKernels.gateResidualForward(out, x, y, mod, 0, 2, 2, 1, 3, 2);
        assertArrayEquals(new float[]{3, -1}, out, 0f);
        float[] dmod = new float[3];
        AdaLnKernels.gateResidualBackwardMod(dmod, new float[]{1, 2}, y, 0, 1, 2, 1, 3, 2);
        assertArrayEquals(new float[]{0, 0, 4 - 12}, dmod, 0f);      // Σ_n dout·y = 1·4 + 2·(−6)
    }

    private static float[] modulate(float[] x, float[] mod) {
        float[] out = new float[B * N * D];
        AdaLnKernels.modulateForward(out, x, mod, 0, B * N, N, D, CH, SHIFT, SCALE);
        return out;
    }

    private static float[] gate(float[] x, float[] y, float[] mod) {
        float[] out = new float[B * N * D];
        AdaLnKernels.gateResidualForward(out, x, y, mod, 0, B * N, N, D, CH, GATE);
        return out;
    }

    @Test
    void modulateBackwardMatchesFiniteDifferences() {
        var rng = new Rng(11);
        float[] x = rng.normal(B * N * D), mod = rng.normal(B * CH * D), dout = rng.normal(B * N * D);
        float[] dx = new float[B * N * D], dmod = new float[B * CH * D];
        AdaLnKernels.modulateBackwardInput(dx, dout, mod, 0, B * N, N, D, CH, SCALE);
        AdaLnKernels.modulateBackwardMod(dmod, dout, x, 0, B * D, N, D, CH, SHIFT, SCALE);
        GradCheck.assertDirectional("x", xs -> GradCheck.dot(modulate(xs, mod), dout, dout.length), x, dx, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("mod", ms -> GradCheck.dot(modulate(x, ms), dout, dout.length), mod, dmod, rng, 1e-2, Tol.GRAD_REL);
        for (int b = 0; b < B; b++) {                                 // chunks other than shift and scale get nothing
            for (int i = 0; i < 3 * D; i++) {
                if (dmod[b * CH * D + i] != 0f) throw new AssertionError("dmod touched chunk " + i / D + " of sample " + b);
            }
        }
    }

    @Test
    void gateResidualBackwardMatchesFiniteDifferences() {
        var rng = new Rng(12);
        float[] x = rng.normal(B * N * D), y = rng.normal(B * N * D), mod = rng.normal(B * CH * D);
        float[] dout = rng.normal(B * N * D);
        float[] dx = new float[B * N * D], dy = new float[B * N * D], dmod = new float[B * CH * D];
        AdaLnKernels.gateResidualBackwardInput(dx, dy, dout, mod, 0, B * N, N, D, CH, GATE);
        AdaLnKernels.gateResidualBackwardMod(dmod, dout, y, 0, B * D, N, D, CH, GATE);
        GradCheck.assertDirectional("x", xs -> GradCheck.dot(gate(xs, y, mod), dout, dout.length), x, dx, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("y", ys -> GradCheck.dot(gate(x, ys, mod), dout, dout.length), y, dy, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("mod", ms -> GradCheck.dot(gate(x, y, ms), dout, dout.length), mod, dmod, rng, 1e-2, Tol.GRAD_REL);
    }

    @Test
    void slicedRunsMatchOneRange() {
        var rng = new Rng(13);
        float[] x = rng.normal(B * N * D), mod = rng.normal(B * CH * D), dout = rng.normal(B * N * D);
        float[] whole = new float[B * CH * D], sliced = new float[B * CH * D];
        AdaLnKernels.modulateBackwardMod(whole, dout, x, 0, B * D, N, D, CH, SHIFT, SCALE);
        AdaLnKernels.gateResidualBackwardMod(whole, dout, x, 0, B * D, N, D, CH, GATE);
        float[] out = new float[B * N * D];
        try (var engine = new JavaEngine(4)) {
            engine.parallelFor(B * D, (lo, hi) -> AdaLnKernels.modulateBackwardMod(sliced, dout, x, lo, hi, N, D, CH, SHIFT, SCALE));
            engine.parallelFor(B * D, (lo, hi) -> AdaLnKernels.gateResidualBackwardMod(sliced, dout, x, lo, hi, N, D, CH, GATE));
            engine.parallelFor(B * N, (lo, hi) -> AdaLnKernels.modulateForward(out, x, mod, lo, hi, N, D, CH, SHIFT, SCALE));
        }
        assertArrayEquals(whole, sliced, 0f);
        assertArrayEquals(modulate(x, mod), out, 0f);
    }
}
