package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * The gate of the SwiGLU MLP (DiP's FeedForward: w2(silu(w1 x) * w3 x)): out = silu(a)·b with a = w1 x and
 * b = w3 x computed by two Linears. Flat arrays of the same shape (B·N, hidden); the range [i0, i1) is elements.
 */
public final class SwigluKernels {
    private SwigluKernels() {
    }

    /** out[i] = a[i]·σ(a[i])·b[i], for i in [i0, i1). */
    public static void swigluForward(float[] out, float[] a, float[] b, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            float v = a[i];
            out[i] = v / (1f + (float) Math.exp(-v)) * b[i];
        }
    }

    /**
     * Writes da[i] = dout[i]·b[i]·σ(a)(1 + a(1 − σ(a))) and db[i] = dout[i]·silu(a[i]), for i in [i0, i1).
     * Forward was: out = silu(a)·b.
     */
    public static void swigluBackward(float[] da, float[] db, float[] dout, float[] a, float[] b, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            float v = a[i];
            float s = 1f / (1f + (float) Math.exp(-v));
            float g = dout[i];
            da[i] = g * b[i] * s * (1f + v * (1f - s));
            db[i] = g * v * s;
        }
    }
}
