package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * The gate of the SwiGLU MLP (DiP's FeedForward: w2(silu(w1 x) * w3 x)): out = silu(a)·b with a = w1 x and
 * b = w3 x. The model computes a and b with one matmul, w1 and w3 being one (2·hidden, D) matrix in its weight array,
 * so they arrive side by side: ab (R, 2·hidden), row r = [a_r | b_r]. out: (R, hidden). The range [i0, i1) is over
 * the R·hidden elements of out, i = r·hidden + j.
 */
public final class SwigluKernels {
    private SwigluKernels() {
    }

    /** out[r, j] = a·σ(a)·b with a = ab[r, j], b = ab[r, hidden + j], for i = r·hidden + j in [i0, i1). */
    public static void swigluForward(float[] out, float[] ab, int i0, int i1, int hidden) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            int r = i / hidden, j = i - r * hidden;
            int ia = r * 2 * hidden + j;
            float v = ab[ia];
            out[i] = v / (1f + (float) Math.exp(-v)) * ab[ia + hidden];
        }
    }

    /**
     * Writes dab[r, j] = dout·b·σ(a)(1 + a(1 − σ(a))) and dab[r, hidden + j] = dout·silu(a), for i = r·hidden + j in
     * [i0, i1). Forward was: out = silu(a)·b, a and b side by side in ab.
     */
    public static void swigluBackward(float[] dab, float[] dout, float[] ab, int i0, int i1, int hidden) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            int r = i / hidden, j = i - r * hidden;
            int ia = r * 2 * hidden + j;
            float v = ab[ia];
            float s = 1f / (1f + (float) Math.exp(-v));
            float g = dout[i];
            dab[ia] = g * ab[ia + hidden] * s * (1f + v * (1f - s));
            dab[ia + hidden] = g * v * s;
        }
    }
}
