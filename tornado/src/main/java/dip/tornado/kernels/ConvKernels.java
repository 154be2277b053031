package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Stride-1 "same" convolutions with bias, as torch.nn.Conv2d: 3×3 with padding 1, and 1×1. NCHW row-major;
 * x: (B, CI, H, W), w: (CO, CI, K, K), bias: (CO), out: (B, CO, H, W); the B images are independent.
 * (The transposed convolution lives in {@link ConvTransposeKernels}.)
 * <p>
 * Every kernel has two {@code @Parallel} loops, so a device runs one work-item per element it writes: forward and
 * backward-to-input over planes (r = b·CO + co, resp. b·CI + ci) × pixels, backward-to-weight over r = co·CI + ci ×
 * taps, where the work-item of (ci = 0, first tap) also owns db[co] (OpenCL has no float atomics: each work-item
 * owns what it writes). A CPU engine slices the planes; the Java engine's fast path is {@code VectorConv}, and these
 * kernels are its reference. The forwards keep a {@code Naive} twin (bias first, every tap bounds-checked) for the
 * tests.
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
     * (zero outside the image); w at wOff: (CO, CI, 3, 3), bias at bOff: (CO). One work-item per output element
     * (plane × pixel).
     */
    public static void conv3x3Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff,
                                      int r0, int r1, int CI, int CO, int H, int W) {
        int HW = H * W;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int p = 0; p < HW; p++) {
                int r = r0 + it;
                int b = r / CO, co = r - b * CO;
                float acc = 0f;
                for (int ci = 0; ci < CI; ci++) acc += window3x3(x, (b * CI + ci) * HW, w, wOff + (co * CI + ci) * 9, 1, p, H, W);
                out[r * HW + p] = acc + bias[bOff + co];
            }
        }
    }

    /**
     * Writes dx planes r = b·CI + ci in [r0, r1): dx[b,ci,y,x] = Σ_{co,ky,kx} w[co,ci,ky,kx]·dout[b,co,y−ky+1,x−kx+1].
     * Forward was: out[b,co,y,x] += w[co,ci,ky,kx]·x[b,ci,y+ky−1,x+kx−1]; so dx is dout correlated with the kernel
     * rotated by 180°; w at wOff. One work-item per element of dx.
     */
    public static void conv3x3BackwardInput(float[] dx, float[] dout, float[] w, int wOff,
                                            int r0, int r1, int CI, int CO, int H, int W) {
        int HW = H * W;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int p = 0; p < HW; p++) {
                int r = r0 + it;
                int b = r / CI, ci = r - b * CI;
                float acc = 0f;
                for (int co = 0; co < CO; co++) acc += window3x3(dout, (b * CO + co) * HW, w, wOff + (co * CI + ci) * 9 + 8, -1, p, H, W);
                dx[r * HW + p] = acc;
            }
        }
    }

    /**
     * Accumulates dW[co, ci, ky, kx] for r = co·CI + ci in [r0, r1), one work-item per tap t = 3·ky + kx, and db[co]
     * in the work-item (ci = 0, t = 0): dW[co,ci,ky,kx] += Σ_{b,y,x} dout[b,co,y,x]·x[b,ci,y+ky−1,x+kx−1],
     * db[co] += Σ_{b,y,x} dout[b,co,y,x]; dW at dwOff, db at dbOff. Forward was:
     * out[b,co,y,x] = bias[co] + Σ w[co,ci,ky,kx]·x[b,ci,y+ky−1,x+kx−1].
     */
    public static void conv3x3BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                             int r0, int r1, int B, int CI, int CO, int H, int W) {
        int HW = H * W;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int t = 0; t < 9; t++) {
                int r = r0 + it;
                int co = r / CI, ci = r - co * CI;
                int sy = t / 3 - 1, sx = t % 3 - 1;                  // the tap's shift into x
                int y0 = Math.max(0, -sy), y1 = Math.min(H, H - sy), x0 = Math.max(0, -sx), x1 = Math.min(W, W - sx);
                float acc = 0f;
                for (int b = 0; b < B; b++) {
                    int d = (b * CO + co) * HW, i = (b * CI + ci) * HW + sy * W + sx;
                    for (int y = y0; y < y1; y++) {
                        for (int xx = x0; xx < x1; xx++) acc += dout[d + y * W + xx] * x[i + y * W + xx];
                    }
                }
                dw[dwOff + r * 9 + t] += acc;
                if (ci == 0 && t == 0) db[dbOff + co] += planeSum(dout, co * HW, CO * HW, B, HW);
            }
        }
    }

    /**
     * Helper: the 3×3 window of one input plane (at in[iOff], H×W, zero padding) around pixel p = y·W + x, weighted by
     * the taps k[ky,kx] = w[wOff + s·(3·ky + kx)]: Σ_{ky,kx} k[ky,kx]·in[y+ky−1, x+kx−1]. s = 1 reads a kernel as
     * stored; s = −1 from wOff = its last tap reads it rotated by 180°.
     */
    static float window3x3(float[] in, int iOff, float[] w, int wOff, int s, int p, int H, int W) {
        int y = p / W, xx = p - y * W;
        int ky0 = y == 0 ? 1 : 0, ky1 = y == H - 1 ? 2 : 3, kx0 = xx == 0 ? 1 : 0, kx1 = xx == W - 1 ? 2 : 3;
        float acc = 0f;
        for (int ky = ky0; ky < ky1; ky++) {
            int row = iOff + (y + ky - 1) * W + xx - 1, k = wOff + s * 3 * ky;
            for (int kx = kx0; kx < kx1; kx++) acc += w[k + s * kx] * in[row + kx];
        }
        return acc;
    }

    /** Helper: Σ over B planes of n floats, the first at a[off], one every stride floats (db of one output channel). */
    static float planeSum(float[] a, int off, int stride, int B, int n) {
        float acc = 0f;
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < n; i++) acc += a[off + b * stride + i];
        }
        return acc;
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

    /**
     * Writes output planes r = b·CO + co in [r0, r1): out[b,co,p] = bias[co] + Σ_ci w[co,ci]·x[b,ci,p], w at wOff:
     * (CO, CI), bias at bOff: (CO). One work-item per output element.
     */
    public static void conv1x1Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff,
                                      int r0, int r1, int CI, int CO, int HW) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int p = 0; p < HW; p++) {
                int r = r0 + it;
                int b = r / CO, co = r - b * CO;
                float acc = 0f;
                for (int ci = 0; ci < CI; ci++) acc += w[wOff + co * CI + ci] * x[(b * CI + ci) * HW + p];
                out[r * HW + p] = acc + bias[bOff + co];
            }
        }
    }

    /**
     * Writes dx planes r = b·CI + ci in [r0, r1): dx[b,ci,p] = Σ_co w[co,ci]·dout[b,co,p] (w at wOff), one work-item
     * per element. Forward was: out[b,co,p] += w[co,ci]·x[b,ci,p].
     */
    public static void conv1x1BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int r0, int r1, int CI, int CO, int HW) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int p = 0; p < HW; p++) {
                int r = r0 + it;
                int b = r / CI, ci = r - b * CI;
                float acc = 0f;
                for (int co = 0; co < CO; co++) acc += w[wOff + co * CI + ci] * dout[(b * CO + co) * HW + p];
                dx[r * HW + p] = acc;
            }
        }
    }

    /**
     * Accumulates dW[co, ci] for r = co·CI + ci in [r0, r1), and db[co] in the ci = 0 iteration:
     * dW[co,ci] += Σ_{b,p} dout[b,co,p]·x[b,ci,p], db[co] += Σ_{b,p} dout[b,co,p]; dW at dwOff, db at dbOff.
     * Forward was: out[b,co,p] = bias[co] + Σ_ci w[co,ci]·x[b,ci,p].
     */
    public static void conv1x1BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                             int r0, int r1, int B, int CI, int CO, int HW) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int co = r / CI, ci = r - co * CI;
            float acc = 0f, accB = 0f;
            for (int b = 0; b < B; b++) {
                int d = (b * CO + co) * HW, i = (b * CI + ci) * HW;
                for (int p = 0; p < HW; p++) {
                    acc += dout[d + p] * x[i + p];
                    accB += dout[d + p];
                }
            }
            dw[dwOff + r] += acc;
            if (ci == 0) db[dbOff + co] += accB;
        }
    }
}
