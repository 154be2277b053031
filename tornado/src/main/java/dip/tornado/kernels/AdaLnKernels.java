package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * adaLN conditioning (DiT models.py modulate and the gated residual). The modulation vector mod: (B, chunks·D)
 * is the output of adaLN_modulation.0 for each sample, read as torch's {@code .chunk(chunks, dim=1)}: chunk k of
 * sample b is mod[b, k·D .. (k+1)·D). A block has 6 chunks [shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp,
 * gate_mlp]; the DiT final layer has 2 [shift, scale]. Tokens x: (B·N, D), rows r = b·N + n.
 * Per-row kernels take [r0, r1) over B·N and are elementwise: two parallel loops, rows × D, so a device runs one
 * work-item per element (a CPU engine slices the rows and runs each row's D elements in order); the dmod kernels
 * run over (b, d) pairs p = b·D + d in [p0, p1) and sum over the N tokens, so each iteration owns its dmod entries.
 */
public final class AdaLnKernels {
    private AdaLnKernels() {
    }

    /**
     * out[r, d] = x[r, d]·(1 + scale[b, d]) + shift[b, d], with b = r / N, scale = chunk scaleIdx, shift = chunk
     * shiftIdx of mod. Writes rows [r0, r1) of out (B·N, D). x: (B·N, D); mod: (B, chunks·D). out may alias x.
     */
    public static void modulateForward(float[] out, float[] x, float[] mod, int r0, int r1,
                                       int N, int D, int chunks, int shiftIdx, int scaleIdx) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int d = 0; d < D; d++) {
                int r = r0 + it;
                int i = r * D + d;
                int modRow = (r / N) * chunks * D;                // mod[b, :]
                out[i] = x[i] * (1f + mod[modRow + scaleIdx * D + d]) + mod[modRow + shiftIdx * D + d];
            }
        }
    }

    /**
     * Writes dx[r, d] = dout[r, d]·(1 + scale[b, d]) for rows [r0, r1).
     * Forward was: out = x·(1 + scale) + shift.
     */
    public static void modulateBackwardInput(float[] dx, float[] dout, float[] mod, int r0, int r1,
                                             int N, int D, int chunks, int scaleIdx) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int d = 0; d < D; d++) {
                int r = r0 + it;
                int i = r * D + d;
                dx[i] = dout[i] * (1f + mod[(r / N) * chunks * D + scaleIdx * D + d]);
            }
        }
    }

    /**
     * Writes two chunks of dmod (B, chunks·D): dshift[b, d] = Σ_n dout[b·N + n, d] and
     * dscale[b, d] = Σ_n dout[b·N + n, d]·x[b·N + n, d], for pairs p = b·D + d in [p0, p1).
     * Forward was: out = x·(1 + scale) + shift. x is the forward's input (B·N, D).
     */
    public static void modulateBackwardMod(float[] dmod, float[] dout, float[] x, int p0, int p1,
                                           int N, int D, int chunks, int shiftIdx, int scaleIdx) {
        for (@Parallel int it = 0; it < p1 - p0; it++) {
            int p = p0 + it;
            int b = p / D, d = p - b * D;
            float dShift = 0f, dScale = 0f;
            for (int n = 0; n < N; n++) {
                int i = (b * N + n) * D + d;
                dShift += dout[i];
                dScale += dout[i] * x[i];
            }
            int modRow = b * chunks * D;
            dmod[modRow + shiftIdx * D + d] = dShift;
            dmod[modRow + scaleIdx * D + d] = dScale;
        }
    }

    /**
     * Gated residual: out[r, d] = x[r, d] + gate[b, d]·y[r, d], gate = chunk gateIdx of mod. Writes rows [r0, r1).
     * x, y, out: (B·N, D); mod: (B, chunks·D). out may alias x.
     */
    public static void gateResidualForward(float[] out, float[] x, float[] y, float[] mod, int r0, int r1,
                                           int N, int D, int chunks, int gateIdx) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int d = 0; d < D; d++) {
                int r = r0 + it;
                int i = r * D + d;
                out[i] = x[i] + mod[(r / N) * chunks * D + gateIdx * D + d] * y[i];
            }
        }
    }

    /**
     * Writes dx[r, d] = dout[r, d] and dy[r, d] = gate[b, d]·dout[r, d] for rows [r0, r1).
     * Forward was: out = x + gate·y.
     */
    public static void gateResidualBackwardInput(float[] dx, float[] dy, float[] dout, float[] mod, int r0, int r1,
                                                 int N, int D, int chunks, int gateIdx) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int d = 0; d < D; d++) {
                int r = r0 + it;
                int i = r * D + d;
                float g = dout[i];
                dx[i] = g;
                dy[i] = mod[(r / N) * chunks * D + gateIdx * D + d] * g;
            }
        }
    }

    /**
     * Writes dgate[b, d] = Σ_n dout[b·N + n, d]·y[b·N + n, d] into chunk gateIdx of dmod (B, chunks·D), for
     * pairs p = b·D + d in [p0, p1). Forward was: out = x + gate·y. y is the forward's gated input (B·N, D).
     */
    public static void gateResidualBackwardMod(float[] dmod, float[] dout, float[] y, int p0, int p1,
                                               int N, int D, int chunks, int gateIdx) {
        for (@Parallel int it = 0; it < p1 - p0; it++) {
            int p = p0 + it;
            int b = p / D, d = p - b * D;
            float acc = 0f;
            for (int n = 0; n < N; n++) {
                int i = (b * N + n) * D + d;
                acc += dout[i] * y[i];
            }
            dmod[b * chunks * D + gateIdx * D + d] = acc;
        }
    }
}
