package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Row normalisations over the last axis: RMSNorm with a learnable weight (the DiT blocks' norm1/norm2 and the
 * per-head q_norm/k_norm) and LayerNorm without affine (DiT's norm_final). Statistics are kept per row in
 * float32, as the official RMSNorm computes them after casting to float32. The block's pre-norm is also here fused
 * with the adaLN modulation after it (one launch instead of two); the modulation alone is AdaLnKernels'.
 */
public final class NormKernels {
    private NormKernels() {
    }

    // ---------------------------------------------------------------------------------------------- RMSNorm

    /**
     * RMSNorm (torch/Llama): out = x · rsqrt(mean(x²) + eps) · w.
     * x, out: (R, D); w at wOff: (D); rstd: (R), written here and read by the backward kernels. Writes rows [r0, r1).
     */
    public static void rmsNormForward(float[] out, float[] rstd, float[] x, float[] w, int wOff,
                                      int r0, int r1, int D, float eps) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            rstd[r] = rmsNormRow(out, r * D, x, r * D, w, wOff, D, eps);
        }
    }

    /**
     * One row of RMSNorm: out[o + i] = x[xi + i] · s · w[wOff + i] for i &lt; D; returns s = (mean(x²) + eps)^(-1/2).
     * The row helper of {@link #rmsNormForward} and of the kernels that fuse the norm with what follows it.
     */
    public static float rmsNormRow(float[] out, int o, float[] x, int xi, float[] w, int wOff, int D, float eps) {
        float ss = 0f;
        for (int i = 0; i < D; i++) ss += x[xi + i] * x[xi + i];
        float s = 1f / (float) Math.sqrt(ss / D + eps);
        for (int i = 0; i < D; i++) out[o + i] = x[xi + i] * s * w[wOff + i];
        return s;
    }

    /**
     * Writes dx rows [r0, r1): with n = x·s (s = rstd[r]) and g = dout·w,
     * dx = s · (g − n · mean(g·n)). dout, x, dx: (R, D); w at wOff: (D); rstd: (R) from the forward.
     * Forward was: out = x · s · w, s = (mean(x²) + eps)^(-1/2), so ds/dx_i = −s³ x_i / D = −s² n_i / D.
     */
    public static void rmsNormBackward(float[] dx, float[] dout, float[] x, float[] w, int wOff, float[] rstd,
                                       int r0, int r1, int D) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            rmsNormBackwardRow(dx, r * D, dout, r * D, x, r * D, w, wOff, rstd[r], D, 0);
        }
    }

    /**
     * One row of {@link #rmsNormBackward}: v_i = s · (g_i − n_i · mean(g·n)), g = dout[gi..]·w, n = x[xi..]·s, written
     * to dx[o + i] (accumulate == 0) or added to it (accumulate != 0, for an input that also feeds a residual).
     */
    public static void rmsNormBackwardRow(float[] dx, int o, float[] dout, int gi, float[] x, int xi, float[] w, int wOff,
                                          float s, int D, int accumulate) {
        float gn = 0f;                                         // Σ_i g_i n_i
        for (int i = 0; i < D; i++) gn += dout[gi + i] * w[wOff + i] * x[xi + i] * s;
        gn /= D;
        for (int i = 0; i < D; i++) {
            float n = x[xi + i] * s;
            float v = (dout[gi + i] * w[wOff + i] - n * gn) * s;
            if (accumulate != 0) dx[o + i] += v;
            else dx[o + i] = v;
        }
    }

    /**
     * Accumulates into dw[d0, d1): dw[d] += Σ_r dout[r,d] · x[r,d] · rstd[r], dw at dwOff: (D). Parallel over the
     * D columns, so each iteration owns dw[d] (llm.c's weight-grad axis). dout, x: (R, D); rstd: (R).
     * Forward was: out[r,d] = x[r,d] · rstd[r] · w[d].
     */
    public static void rmsNormWeightBackward(float[] dw, int dwOff, float[] dout, float[] x, float[] rstd,
                                             int d0, int d1, int R, int D) {
        for (@Parallel int it = 0; it < d1 - d0; it++) {
            int d = d0 + it;
            float acc = 0f;
            for (int r = 0; r < R; r++) acc += dout[r * D + d] * x[r * D + d] * rstd[r];
            dw[dwOff + d] += acc;
        }
    }

    // ------------------------------------------------------------------- RMSNorm, then adaLN's modulation

    /**
     * A DiT block's pre-norm in one pass per row: y = RMSNorm(x) (as {@link #rmsNormForward}, rstd written too),
     * then h = y·(1 + scale[b]) + shift[b] (as {@link AdaLnKernels#modulateForward}: scale, shift are chunks
     * scaleIdx, shiftIdx of mod (B, chunks·D), b = r / N). One launch instead of two; y is kept because the
     * modulation's backward reads it. x, y, h: (R, D); w at wOff: (D). Writes rows [r0, r1).
     */
    public static void rmsNormModulateForward(float[] h, float[] y, float[] rstd, float[] x, float[] w, int wOff,
                                              float[] mod, int r0, int r1, int N, int D, float eps,
                                              int chunks, int shiftIdx, int scaleIdx) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int row = r * D, modRow = (r / N) * chunks * D;
            rstd[r] = rmsNormRow(y, row, x, row, w, wOff, D, eps);
            for (int d = 0; d < D; d++) {
                h[row + d] = y[row + d] * (1f + mod[modRow + scaleIdx * D + d]) + mod[modRow + shiftIdx * D + d];
            }
        }
    }

    /**
     * Backward of {@link #rmsNormModulateForward} through the modulation's input and the norm, in one pass per row:
     * dy = dh·(1 + scale[b]) (written: the norm's weight gradient reads it), then the norm's input gradient is ADDED
     * to dx (the block's residual stream feeds the norm, so its gradient already holds the residual's share).
     * The modulation's dshift/dscale are {@link AdaLnKernels#modulateBackwardMod}'s. Rows [r0, r1).
     */
    public static void rmsNormModulateBackward(float[] dy, float[] dx, float[] dh, float[] mod, float[] x,
                                               float[] w, int wOff, float[] rstd, int r0, int r1,
                                               int N, int D, int chunks, int scaleIdx) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int row = r * D, modRow = (r / N) * chunks * D;
            for (int d = 0; d < D; d++) dy[row + d] = dh[row + d] * (1f + mod[modRow + scaleIdx * D + d]);
            rmsNormBackwardRow(dx, row, dy, row, x, row, w, wOff, rstd[r], D, 1);
        }
    }

    // --------------------------------------------------------------------------------- LayerNorm, no affine

    /**
     * LayerNorm over the last axis, no affine (torch.nn.LayerNorm(D, elementwise_affine=False, eps)):
     * out = (x − mean) · rsqrt(var + eps), biased variance. x, out: (R, D); mean, rstd: (R), written here and
     * read by layerNormBackward. Writes rows [r0, r1).
     */
    public static void layerNormForward(float[] out, float[] mean, float[] rstd, float[] x,
                                        int r0, int r1, int D, float eps) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int row = r * D;
            float m = 0f;
            for (int i = 0; i < D; i++) m += x[row + i];
            m /= D;
            float v = 0f;                                      // biased variance, as torch.nn.LayerNorm
            for (int i = 0; i < D; i++) { float c = x[row + i] - m; v += c * c; }
            float s = 1f / (float) Math.sqrt(v / D + eps);
            for (int i = 0; i < D; i++) out[row + i] = (x[row + i] - m) * s;
            mean[r] = m;
            rstd[r] = s;
        }
    }

    /**
     * Accumulates into dx rows [r0, r1): dx += rstd · (g − mean(g) − n · mean(g·n)), n = (x − mean)·rstd, g = dout.
     * dout, x, dx: (R, D); mean, rstd: (R) cached by the forward.
     * Forward was: out = (x − mean) · rstd.
     */
    public static void layerNormBackward(float[] dx, float[] dout, float[] x, float[] mean, float[] rstd,
                                         int r0, int r1, int D) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int row = r * D;
            float m = mean[r], s = rstd[r];
            float gMean = 0f, gNormMean = 0f;                  // pass 1: two reductions over D
            for (int i = 0; i < D; i++) {
                float n = (x[row + i] - m) * s;
                gMean += dout[row + i];
                gNormMean += dout[row + i] * n;
            }
            gMean /= D;
            gNormMean /= D;
            for (int i = 0; i < D; i++) {                      // pass 2
                float n = (x[row + i] - m) * s;
                dx[row + i] += (dout[row + i] - gMean - n * gNormMean) * s;
            }
        }
    }
}
