package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Fully connected layer, same layout as torch.nn.Linear: out = x · Wᵀ + b.
 * x: (R, IN) rows, W: (OUT, IN), b: (OUT) (a layer without bias passes zeros: TornadoVM takes no null arrays), out: (R, OUT). llm.c's matmul_forward/backward, with the
 * {@code @Parallel} range passed in as [r0, r1) so the CPU engine can slice it (see Engine).
 * These are the TornadoVM-compilable kernels; the CPU engine's Vector API versions are tested against them.
 */
public final class MatmulKernels {
    private MatmulKernels() {
    }

    /** The plainest form, for cross-checks only: out[r,o] = b[o] + Σ_i x[r,i]·W[o,i], all rows. */
    public static void matmulForwardNaive(float[] out, float[] x, float[] w, float[] b, int R, int IN, int OUT) {
        for (int r = 0; r < R; r++) {
            for (int o = 0; o < OUT; o++) {
                float acc = b[o];
                for (int i = 0; i < IN; i++) acc += x[r * IN + i] * w[o * IN + i];
                out[r * OUT + o] = acc;
            }
        }
    }

    /**
     * Writes out rows [r0, r1): out[r,o] = b[o] + Σ_i x[r,i]·W[o,i], W at wOff: (OUT, IN), b at bOff: (OUT). Both
     * loops are parallel: a device runs one work-item per output element (R·OUT of them), a CPU engine slices the rows.
     */
    public static void matmulForward(float[] out, float[] x, float[] w, int wOff, float[] b, int bOff,
                                     int r0, int r1, int IN, int OUT) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int o = 0; o < OUT; o++) {
                int xRow = (r0 + it) * IN, wRow = wOff + o * IN;
                float acc = 0f;
                for (int i = 0; i < IN; i++) acc += x[xRow + i] * w[wRow + i];
                out[(r0 + it) * OUT + o] = acc + b[bOff + o];
            }
        }
    }

    /**
     * Writes dx rows [r0, r1): dx[r,i] = Σ_o dout[r,o]·W[o,i] (a layer's input gradient is written; only parameter
     * gradients accumulate), W at wOff: (OUT, IN). Forward was: out[r,o] = Σ_i x[r,i]·W[o,i] + b[o]. One work-item
     * per element of dx.
     */
    public static void matmulBackwardInput(float[] dx, float[] dout, float[] w, int wOff, int r0, int r1, int IN, int OUT) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int i = 0; i < IN; i++) {
                int doutRow = (r0 + it) * OUT;
                float acc = 0f;
                for (int o = 0; o < OUT; o++) acc += dout[doutRow + o] * w[wOff + o * IN + i];
                dx[(r0 + it) * IN + i] = acc;
            }
        }
    }

    /**
     * Accumulates into dW rows [o0, o1) and db[o0, o1): dW[o,i] += Σ_r dout[r,o]·x[r,i],
     * db[o] += Σ_r dout[r,o]; dW at dwOff: (OUT, IN), db at dbOff: (OUT). One work-item per element of dW, each summing over the rows in order; the work-item
     * of column i = 0 also owns db[o], so no two work-items write the same element (OpenCL has no float atomics).
     */
    public static void matmulBackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                            int o0, int o1, int R, int IN, int OUT) {
        for (@Parallel int it = 0; it < o1 - o0; it++) {
            for (@Parallel int i = 0; i < IN; i++) {
                int o = o0 + it;
                float acc = 0f;
                for (int r = 0; r < R; r++) acc += dout[r * OUT + o] * x[r * IN + i];
                dw[dwOff + o * IN + i] += acc;
                if (i == 0) {
                    float dbAcc = 0f;
                    for (int r = 0; r < R; r++) dbAcc += dout[r * OUT + o];
                    db[dbOff + o] += dbAcc;
                }
            }
        }
    }
}
