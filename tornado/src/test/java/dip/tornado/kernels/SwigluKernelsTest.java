package dip.tornado.kernels;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SwiGLU gate out = silu(a)·b: a hand-worked case and finite differences for both inputs. */
class SwigluKernelsTest {

    @Test
    void knownCase() {
        // silu(0) = 0; silu(2) = 2/(1 + e^-2) = 1.7615942; silu(-1) = -1/(1 + e) = -0.26894142.
        float[] a = {0, 2, -1}, b = {5, 3, -2}, out = new float[3];
        SwigluKernels.swigluForward(out, a, b, 0, 3);
        assertEquals(0f, out[0], 0f);
        assertEquals(3 * 1.7615942f, out[1], Tol.FWD_F32);
        assertEquals(0.53788284f, out[2], Tol.FWD_F32);
        // d/da at a = 0: σ(0)·(1 + 0) = 0.5, times b = 5 -> 2.5; d/db = silu(0) = 0.
        float[] da = new float[3], db = new float[3];
        SwigluKernels.swigluBackward(da, db, new float[]{1, 0, 0}, a, b, 0, 3);
        assertEquals(2.5f, da[0], Tol.FWD_F32);
        assertEquals(0f, db[0], 0f);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        var rng = new Rng(21);
        int n = 3 * 5 * 7;
        float[] a = rng.normal(n), b = rng.normal(n), dout = rng.normal(n);
        float[] da = new float[n], db = new float[n];
        SwigluKernels.swigluBackward(da, db, dout, a, b, 0, n);
        GradCheck.assertDirectional("a", as -> GradCheck.dot(fwd(as, b), dout, n), a, da, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("b", bs -> GradCheck.dot(fwd(a, bs), dout, n), b, db, rng, 1e-2, Tol.GRAD_REL);
    }

    private static float[] fwd(float[] a, float[] b) {
        float[] out = new float[a.length];
        SwigluKernels.swigluForward(out, a, b, 0, a.length);
        return out;
    }
}
