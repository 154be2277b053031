package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Stride-1 "same" convolutions with bias, as torch.nn.Conv2d: 3×3 with padding 1, and 1×1. NCHW row-major;
 * x: (B, CI, H, W), w: (CO, CI, K, K), bias: (CO), out: (B, CO, H, W); the B images are independent.
 * (The transposed convolution lives in {@link ConvTransposeKernels}.)
 * <p>
 * Forward and backward-to-input are parallel over planes (r = b·CO + co, resp. b·CI + ci): an iteration owns one
 * output plane and sweeps whole input rows in its inner loop, which is cache friendly and needs no im2col buffer.
 * Backward-to-weight is parallel over r = co·CI + ci: an iteration owns dW[co, ci, :, :], and the ci = 0 iteration
 * also owns db[co]. Each optimised forward keeps a {@code Naive} twin (one output element at a time, bounds checked
 * per tap) for the tests.
 */
public final class ConvKernels {
    private ConvKernels() {
    }

    // ----------------------------------------------------------------------------------------------------------------
    // 3×3, padding 1

    /** The plainest form, for cross-checks only: out[b,co,y,x] = bias[co] + Σ_{ci,ky,kx} w[co,ci,ky,kx]·x[b,ci,y+ky−1,x+kx−1]. */
    public static void conv3x3ForwardNaive(float[] out, float[] x, float[] w, float[] bias,
                                           int B, int CI, int CO, int H, int W) {
        for (int b = 0; b < B; b++) {
            for (int co = 0; co < CO; co++) {
                for (int y = 0; y < H; y++) {
                    for (int xx = 0; xx < W; xx++) {
                        float acc = bias[co];
                        for (int ci = 0; ci < CI; ci++) {
                            for (int ky = 0; ky < 3; ky++) {
                                for (int kx = 0; kx < 3; kx++) {
                                    int iy = y + ky - 1, ix = xx + kx - 1;
                                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;   // zero padding
                                    acc += w[((co * CI + ci) * 3 + ky) * 3 + kx] * x[((b * CI + ci) * H + iy) * W + ix];
                                }
                            }
                        }
                        out[((b * CO + co) * H + y) * W + xx] = acc;
                    }
                }
            }
        }
    }

    /**
     * Writes output planes r = b·CO + co in [r0, r1): out[b,co,y,x] = bias[co] + Σ_{ci,ky,kx} w[co,ci,ky,kx]·x[b,ci,y+ky−1,x+kx−1]
     * (zero outside the image).
     */
    public static void conv3x3Forward(float[] out, float[] x, float[] w, float[] bias,
                                      int r0, int r1, int CI, int CO, int H, int W) {
        int HW = H * W;
        for (@Parallel int r = r0; r < r1; r++) {
            int b = r / CO, co = r - b * CO;
            int o = r * HW;                                              // seek to out[b, co]
            float bv = bias[co];
            for (int i = 0; i < HW; i++) out[o + i] = bv;
            for (int ci = 0; ci < CI; ci++) {
                correlate3x3(out, o, x, (b * CI + ci) * HW, w, (co * CI + ci) * 9, 0, H, W);
            }
        }
    }

    /**
     * Accumulates into dx planes r = b·CI + ci in [r0, r1): dx[b,ci,y,x] += Σ_{co,ky,kx} w[co,ci,ky,kx]·dout[b,co,y−ky+1,x−kx+1].
     * Forward was: out[b,co,y,x] += w[co,ci,ky,kx]·x[b,ci,y+ky−1,x+kx−1]; so dx is dout correlated with the flipped kernel.
     */
    public static void conv3x3BackwardInput(float[] dx, float[] dout, float[] w,
                                            int r0, int r1, int CI, int CO, int H, int W) {
        int HW = H * W;
        for (@Parallel int r = r0; r < r1; r++) {
            int b = r / CI, ci = r - b * CI;
            int o = r * HW;                                              // seek to dx[b, ci]
            for (int co = 0; co < CO; co++) {
                correlate3x3(dx, o, dout, (b * CO + co) * HW, w, (co * CI + ci) * 9, 1, H, W);
            }
        }
    }

    /**
     * Accumulates dW[co, ci, :, :] for r = co·CI + ci in [r0, r1), and db[co] in the ci = 0 iteration:
     * dW[co,ci,ky,kx] += Σ_{b,y,x} dout[b,co,y,x]·x[b,ci,y+ky−1,x+kx−1], db[co] += Σ_{b,y,x} dout[b,co,y,x].
     * Forward was: out[b,co,y,x] = bias[co] + Σ w[co,ci,ky,kx]·x[b,ci,y+ky−1,x+kx−1].
     */
    public static void conv3x3BackwardWeight(float[] dw, float[] db, float[] dout, float[] x,
                                             int r0, int r1, int B, int CI, int CO, int H, int W) {
        int HW = H * W;
        for (@Parallel int r = r0; r < r1; r++) {
            int co = r / CI, ci = r - co * CI;
            for (int ky = 0; ky < 3; ky++) {
                int y0 = Math.max(0, 1 - ky), y1 = Math.min(H, H + 1 - ky);   // rows whose tap iy = y+ky−1 is inside
                for (int kx = 0; kx < 3; kx++) {
                    int x0 = Math.max(0, 1 - kx), x1 = Math.min(W, W + 1 - kx);
                    float acc = 0f;
                    for (int b = 0; b < B; b++) {
                        int dOff = (b * CO + co) * HW, xOff = (b * CI + ci) * HW + (ky - 1) * W + (kx - 1);
                        for (int y = y0; y < y1; y++) {
                            int dRow = dOff + y * W, xRow = xOff + y * W;
                            for (int xx = x0; xx < x1; xx++) acc += dout[dRow + xx] * x[xRow + xx];
                        }
                    }
                    dw[r * 9 + ky * 3 + kx] += acc;
                }
            }
            if (ci == 0) {
                float acc = 0f;
                for (int b = 0; b < B; b++) {
                    int dOff = (b * CO + co) * HW;
                    for (int i = 0; i < HW; i++) acc += dout[dOff + i];
                }
                db[co] += acc;
            }
        }
    }

    /**
     * Helper: out[oOff + y·W + x] += Σ_{ky,kx} k[ky,kx]·in[iOff + (y+ky−1)·W + (x+kx−1)] over one H×W plane (zero
     * padding), where k[ky,kx] = w[wOff + ky·3 + kx], or w[wOff + (2−ky)·3 + (2−kx)] when flip = 1. Rows are swept
     * whole, the two border columns peeled, so the inner loop has no bounds checks.
     */
    static void correlate3x3(float[] out, int oOff, float[] in, int iOff, float[] w, int wOff, int flip, int H, int W) {
        for (int ky = 0; ky < 3; ky++) {
            int wr = flip == 0 ? wOff + ky * 3 : wOff + (2 - ky) * 3;
            float k0 = flip == 0 ? w[wr] : w[wr + 2];
            float k1 = w[wr + 1];
            float k2 = flip == 0 ? w[wr + 2] : w[wr];
            int y0 = Math.max(0, 1 - ky), y1 = Math.min(H, H + 1 - ky);
            for (int y = y0; y < y1; y++) {
                int o = oOff + y * W, i = iOff + (y + ky - 1) * W;
                if (W == 1) {
                    out[o] += k1 * in[i];
                } else {
                    out[o] += k1 * in[i] + k2 * in[i + 1];
                    for (int xx = 1; xx < W - 1; xx++) {
                        out[o + xx] += k0 * in[i + xx - 1] + k1 * in[i + xx] + k2 * in[i + xx + 1];
                    }
                    out[o + W - 1] += k0 * in[i + W - 2] + k1 * in[i + W - 1];
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // 1×1 (a per-pixel matmul over channels; w: (CO, CI, 1, 1) = (CO, CI))

    /** For cross-checks only: out[b,co,p] = bias[co] + Σ_ci w[co,ci]·x[b,ci,p], p over the HW pixels. */
    public static void conv1x1ForwardNaive(float[] out, float[] x, float[] w, float[] bias, int B, int CI, int CO, int HW) {
        for (int b = 0; b < B; b++) {
            for (int co = 0; co < CO; co++) {
                for (int p = 0; p < HW; p++) {
                    float acc = bias[co];
                    for (int ci = 0; ci < CI; ci++) acc += w[co * CI + ci] * x[(b * CI + ci) * HW + p];
                    out[(b * CO + co) * HW + p] = acc;
                }
            }
        }
    }

    /** Writes output planes r = b·CO + co in [r0, r1): out[b,co,p] = bias[co] + Σ_ci w[co,ci]·x[b,ci,p]. */
    public static void conv1x1Forward(float[] out, float[] x, float[] w, float[] bias, int r0, int r1, int CI, int CO, int HW) {
        for (@Parallel int r = r0; r < r1; r++) {
            int b = r / CO, co = r - b * CO;
            int o = r * HW;
            float bv = bias[co];
            for (int p = 0; p < HW; p++) out[o + p] = bv;
            for (int ci = 0; ci < CI; ci++) {
                float wv = w[co * CI + ci];
                int i = (b * CI + ci) * HW;
                for (int p = 0; p < HW; p++) out[o + p] += wv * x[i + p];
            }
        }
    }

    /**
     * Accumulates into dx planes r = b·CI + ci in [r0, r1): dx[b,ci,p] += Σ_co w[co,ci]·dout[b,co,p].
     * Forward was: out[b,co,p] += w[co,ci]·x[b,ci,p].
     */
    public static void conv1x1BackwardInput(float[] dx, float[] dout, float[] w, int r0, int r1, int CI, int CO, int HW) {
        for (@Parallel int r = r0; r < r1; r++) {
            int b = r / CI, ci = r - b * CI;
            int o = r * HW;
            for (int co = 0; co < CO; co++) {
                float wv = w[co * CI + ci];
                int d = (b * CO + co) * HW;
                for (int p = 0; p < HW; p++) dx[o + p] += wv * dout[d + p];
            }
        }
    }

    /**
     * Accumulates dW[co, ci] for r = co·CI + ci in [r0, r1), and db[co] in the ci = 0 iteration:
     * dW[co,ci] += Σ_{b,p} dout[b,co,p]·x[b,ci,p], db[co] += Σ_{b,p} dout[b,co,p].
     * Forward was: out[b,co,p] = bias[co] + Σ_ci w[co,ci]·x[b,ci,p].
     */
    public static void conv1x1BackwardWeight(float[] dw, float[] db, float[] dout, float[] x,
                                             int r0, int r1, int B, int CI, int CO, int HW) {
        for (@Parallel int r = r0; r < r1; r++) {
            int co = r / CI, ci = r - co * CI;
            float acc = 0f, accB = 0f;
            for (int b = 0; b < B; b++) {
                int d = (b * CO + co) * HW, i = (b * CI + ci) * HW;
                for (int p = 0; p < HW; p++) {
                    acc += dout[d + p] * x[i + p];
                    accB += dout[d + p];
                }
            }
            dw[r] += acc;
            if (ci == 0) db[co] += accB;
        }
    }
}
