package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Row normalisations over the last axis: RMSNorm with a learnable weight (the DiT blocks' norm1/norm2 and the
 * per-head q_norm/k_norm) and LayerNorm without affine (DiT's norm_final). Statistics are kept per row in
 * float32, as the official RMSNorm computes them after casting to float32. Not here: adaLN modulation.
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
            int row = r * D;                                   // seek to x[r, :]
            float ss = 0f;
            for (int i = 0; i < D; i++) ss += x[row + i] * x[row + i];
            float s = 1f / (float) Math.sqrt(ss / D + eps);
            for (int i = 0; i < D; i++) out[row + i] = x[row + i] * s * w[wOff + i];
            rstd[r] = s;
        }
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
            int row = r * D;
            float s = rstd[r];
            float gn = 0f;                                     // Σ_i g_i n_i
            for (int i = 0; i < D; i++) gn += dout[row + i] * w[wOff + i] * x[row + i] * s;
            gn /= D;
            for (int i = 0; i < D; i++) {
                float n = x[row + i] * s;
                dx[row + i] = (dout[row + i] * w[wOff + i] - n * gn) * s;
            }
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
