package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Conditioning inputs: the sinusoidal timestep features (DiT TimestepEmbedder.timestep_embedding, DiP's settings:
 * max period 10, t in [0, 1] used directly) and the class-embedding lookup with its scatter-free backward.
 * Labels are checked by the layer before they reach these kernels.
 */
public final class EmbedKernels {
    private EmbedKernels() {
    }

    /**
     * out[b, i] = cos(t[b]·f_i), out[b, half + i] = sin(t[b]·f_i), f_i = exp(−ln(maxPeriod)·i / half),
     * half = dim / 2, i = 0..half−1 (cos first; an odd dim leaves its last column 0, as torch pads).
     * The frequency is computed in float32 as torch does (exp of a float32 argument). Writes rows [r0, r1) of
     * out (B, dim). t: (B).
     */
    public static void timestepFeatures(float[] out, float[] t, int r0, int r1, int dim, float maxPeriod) {
        int half = dim / 2;
        float negLog = (float) -Math.log(maxPeriod);
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int row = r * dim;
            float tb = t[r];
            for (int i = 0; i < half; i++) {
                float f = (float) Math.exp(negLog * i / half);
                float arg = tb * f;
                out[row + i] = (float) Math.cos(arg);
                out[row + half + i] = (float) Math.sin(arg);
            }
            if (dim % 2 == 1) out[row + dim - 1] = 0f;
        }
    }

    /** out[b, :] = table[y[b], :] for rows b in [r0, r1). table at tOff: (numClasses + 1, D); y: (B); out: (B, D). */
    public static void embeddingForward(float[] out, float[] table, int tOff, int[] y, int r0, int r1, int D) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int src = tOff + y[r] * D, dst = r * D;
            for (int d = 0; d < D; d++) out[dst + d] = table[src + d];
        }
    }

    /**
     * Accumulates dtable[c, :] += Σ_{b : y[b] = c} dout[b, :] for table rows c in [c0, c1).
     * Forward was: out[b, :] = table[y[b], :]. Parallel over table rows, each scanning the batch, so two samples
     * with the same label never write the same entry concurrently. dout: (B, D); dtable at tOff: (rows, D).
     */
    public static void embeddingBackward(float[] dtable, int tOff, float[] dout, int[] y, int c0, int c1, int B, int D) {
        for (@Parallel int it = 0; it < c1 - c0; it++) {
            int c = c0 + it;
            int dst = tOff + c * D;
            for (int b = 0; b < B; b++) {
                if (y[b] == c) {
                    int src = b * D;
                    for (int d = 0; d < D; d++) dtable[dst + d] += dout[src + d];
                }
            }
        }
    }
}
