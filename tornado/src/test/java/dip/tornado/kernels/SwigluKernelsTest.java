package dip.tornado.kernels;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SwiGLU gate out = silu(a)·b, a and b side by side in rows of ab: a hand-worked case and finite differences. */
class SwigluKernelsTest {

    @Test
    void knownCase() {
        // hidden = 3, one row: a = [0, 2, -1], b = [5, 3, -2].
        // silu(0) = 0; silu(2) = 2/(1 + e^-2) = 1.7615942; silu(-1) = -1/(1 + e) = -0.26894142.
        float[] ab = {0, 2, -1, 5, 3, -2}, out = new float[3];
        SwigluKernels.swigluForward(out, ab, 0, 3, 3);
        assertEquals(0f, out[0], 0f);
        assertEquals(3 * 1.7615942f, out[1], Tol.FWD_F32);
        assertEquals(0.53788284f, out[2], Tol.FWD_F32);
        // d/da at a = 0: σ(0)·(1 + 0) = 0.5, times b = 5 -> 2.5; d/db = silu(0) = 0.
        float[] dab = new float[6];
        SwigluKernels.swigluBackward(dab, new float[]{1, 0, 0}, ab, 0, 3, 3);
        assertEquals(2.5f, dab[0], Tol.FWD_F32);
        assertEquals(0f, dab[3], 0f);
    }

    /** Rows of two halves: element (r, j) reads a at r·2H + j and b at r·2H + H + j, and writes out at r·H + j. */
    @Test
    void rowsAreReadAsTwoHalves() {
        int R = 2, H = 2;
        float[] ab = {1, 2, 10, 20, 3, 4, 30, 40}, out = new float[R * H];
        SwigluKernels.swigluForward(out, ab, 0, R * H, H);
        float[] a = {1, 2, 3, 4}, b = {10, 20, 30, 40};
        for (int i = 0; i < R * H; i++) assertEquals(a[i] / (1f + (float) Math.exp(-a[i])) * b[i], out[i], 0f, "out " + i);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        var rng = new Rng(21);
        int R = 3 * 5, H = 7, n = R * H;
        float[] ab = rng.normal(2 * n), dout = rng.normal(n), dab = GradCheck.nans(2 * n);
        SwigluKernels.swigluBackward(dab, dout, ab, 4, n, H);
        SwigluKernels.swigluBackward(dab, dout, ab, 0, 4, H);
        GradCheck.assertDirectional("ab", abs -> {
            float[] out = new float[n];
            SwigluKernels.swigluForward(out, abs, 0, n, H);
            return GradCheck.dot(out, dout, n);
        }, ab, dab, rng, 1e-2, Tol.GRAD_REL);
    }
}
