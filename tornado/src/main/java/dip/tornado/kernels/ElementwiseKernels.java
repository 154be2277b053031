package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Elementwise glue between layers: sums, copies, scaling, and the per-sample broadcast add that builds the
 * head's input g = silu(t_emb[:, None] + s). Flat arrays; the range [i0, i1) is elements unless a kernel says
 * it is rows (r0, r1) or (b, d) pairs (p0, p1). No reductions across iterations: each writes only its own indices.
 */
public final class ElementwiseKernels {
    private ElementwiseKernels() {
    }

    /** out[i] = a[i] + b[i], i in [i0, i1). out may alias a or b. */
    public static void add(float[] out, float[] a, float[] b, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            out[i] = a[i] + b[i];
        }
    }

    /** x[i] += a[i], i in [i0, i1): the residual add, and how one buffer gathers two gradients. */
    public static void addInPlace(float[] x, float[] a, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            x[i] += a[i];
        }
    }

    /** out[i] = x[i], i in [i0, i1). */
    public static void copy(float[] out, float[] x, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            out[i] = x[i];
        }
    }

    /** out[i] = s·x[i], i in [i0, i1). out may alias x. */
    public static void scale(float[] out, float[] x, float s, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            out[i] = s * x[i];
        }
    }

    /**
     * Adds a per-sample vector to every token of that sample: out[b·N + n, d] = x[b·N + n, d] + v[b, d].
     * Written for rows r = b·N + n in [r0, r1). x, out: (B·N, D); v: (B, D). out may alias x.
     */
    public static void addRowBroadcast(float[] out, float[] x, float[] v, int r0, int r1, int N, int D) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int row = r * D;                      // seek to x[r, :]
            int vRow = (r / N) * D;               // v[b, :] for the sample that owns token r
            for (int d = 0; d < D; d++) out[row + d] = x[row + d] + v[vRow + d];
        }
    }

    /**
     * Gradient of the broadcast operand: dv[b, d] += Σ_n dout[b·N + n, d], for pairs p = b·D + d in [p0, p1).
     * Forward was: out[b·N + n, d] = x[b·N + n, d] + v[b, d]. (dx is dout itself: add it with addInPlace.)
     * Parallel over B·D so each iteration owns one dv entry and sums over the N tokens. dout: (B·N, D); dv: (B, D).
     */
    public static void addRowBroadcastBackwardVec(float[] dv, float[] dout, int p0, int p1, int N, int D) {
        for (@Parallel int it = 0; it < p1 - p0; it++) {
            int p = p0 + it;
            int b = p / D, d = p - b * D;
            float acc = 0f;
            for (int n = 0; n < N; n++) acc += dout[(b * N + n) * D + d];
            dv[p] += acc;
        }
    }

    /** x[i] = 0, i in [i0, i1): how a pass zeroes an accumulation buffer on the engine's side. */
    public static void zero(float[] x, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            x[i0 + it] = 0f;
        }
    }

    /** out[outOff + i] = x[xOff + i], i in [i0, i1): moves a slice of one buffer into another. */
    public static void copySlice(float[] out, int outOff, float[] x, int xOff, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            out[outOff + i] = x[xOff + i];
        }
    }

    /** out[outOff + i] = y[yOff + i] for int labels, i in [i0, i1). */
    public static void copySliceInt(int[] out, int outOff, int[] y, int yOff, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            out[outOff + i] = y[yOff + i];
        }
    }

    /** out[i] = value, i in [i0, i1), for int labels (the null class of a guided batch). */
    public static void fillInt(int[] out, int value, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            out[i0 + it] = value;
        }
    }

    /**
     * out[i] = s[k], i in [i0, i1): broadcasts one number that lives in an array, so that a replayed pass can
     * take a new value each run (the sampler's time t) without being rebuilt.
     */
    public static void fillFrom(float[] out, float[] s, int k, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            out[i0 + it] = s[k];
        }
    }

    /** x[i] = x[i] + s[k]·v[i], i in [i0, i1): the Euler step x ← x + dt·v with dt = s[k]. */
    public static void axpyFrom(float[] x, float[] v, float[] s, int k, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            x[i] = x[i] + s[k] * v[i];
        }
    }

    /**
     * Leaves eight arrays unchanged (x[0] = x[0] for the first [i0, i1) work-items, i1 ≤ 1). A device engine adds it to
     * a graph that only moves arrays, because TornadoVM copies back to the host only arrays some task of the graph
     * uses.
     */
    public static void keep8(float[] a, float[] b, float[] c, float[] d, float[] e, float[] f, float[] g, float[] h,
                             int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            a[0] = a[0]; b[0] = b[0]; c[0] = c[0]; d[0] = d[0];
            e[0] = e[0]; f[0] = f[0]; g[0] = g[0]; h[0] = h[0];
        }
    }
}
