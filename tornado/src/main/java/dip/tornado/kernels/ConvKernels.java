package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Stride-1 "same" convolutions with bias, as torch.nn.Conv2d: 3×3 with padding 1, and 1×1. NCHW row-major;
 * x: (B, CI, H, W), w: (CO, CI, K, K), bias: (CO), out: (B, CO, H, W); the B images are independent.
 * (The transposed convolution lives in {@link ConvTransposeKernels}.)
 * <p>
 * Forward and backward-to-input are parallel over planes (r = b·CO + co, resp. b·CI + ci): an iteration owns one
 * output plane, and needs no im2col buffer. The head's planes are small (2×2 to 16×16), so loop overhead and
 * loads/stores of the output dominate a per-channel row sweep: a 2×2 plane, and a plane whose width is a multiple
 * of 4 (in blocks of 4 outputs), instead sum over all input channels in registers and store once. Other widths
 * sweep rows per input channel (interior rows take their three input rows in one pass).
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
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int b = r / CO, co = r - b * CO;
            int o = r * HW;                                              // seek to out[b, co]
            float bv = bias[co];
            for (int i = 0; i < HW; i++) out[o + i] = bv;
            if (H == 2 && W == 2) {
                correlate2x2Planes(out, o, x, b * CI * 4, 4, w, co * CI * 9, 9, CI, 0);
            } else if (W % 4 == 0) {
                correlateBlocks4(out, o, x, b * CI * HW, HW, w, co * CI * 9, 9, CI, 0, H, W);
            } else {
                for (int ci = 0; ci < CI; ci++) {
                    correlate3x3(out, o, x, (b * CI + ci) * HW, w, (co * CI + ci) * 9, 0, H, W);
                }
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
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int b = r / CI, ci = r - b * CI;
            int o = r * HW;                                              // seek to dx[b, ci]
            if (H == 2 && W == 2) {
                correlate2x2Planes(dx, o, dout, b * CO * 4, 4, w, ci * 9, CI * 9, CO, 1);
            } else if (W % 4 == 0) {
                correlateBlocks4(dx, o, dout, b * CO * HW, HW, w, ci * 9, CI * 9, CO, 1, H, W);
            } else {
                for (int co = 0; co < CO; co++) {
                    correlate3x3(dx, o, dout, (b * CO + co) * HW, w, (co * CI + ci) * 9, 1, H, W);
                }
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
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int co = r / CI, ci = r - co * CI;
            // One pass over each plane pair; the three taps of a kernel row share the loads of one input row and
            // keep three independent sums (a single running sum would be bound by the float-add latency).
            float a00 = 0f, a01 = 0f, a02 = 0f, a10 = 0f, a11 = 0f, a12 = 0f, a20 = 0f, a21 = 0f, a22 = 0f, ab = 0f;
            for (int b = 0; b < B && H == 2 && W == 2; b++) {                  // 2×2 planes: all taps written out
                int d = (b * CO + co) * 4, i = (b * CI + ci) * 4;
                float d00 = dout[d], d01 = dout[d + 1], d10 = dout[d + 2], d11 = dout[d + 3];
                float x00 = x[i], x01 = x[i + 1], x10 = x[i + 2], x11 = x[i + 3];
                a00 += d11 * x00;
                a01 += d10 * x00 + d11 * x01;
                a02 += d10 * x01;
                a10 += d01 * x00 + d11 * x10;
                a11 += d00 * x00 + d01 * x01 + d10 * x10 + d11 * x11;
                a12 += d00 * x01 + d10 * x11;
                a20 += d01 * x10;
                a21 += d00 * x10 + d01 * x11;
                a22 += d00 * x11;
                ab += d00 + d01 + d10 + d11;
            }
            for (int b = 0; b < B && (H != 2 || W != 2); b++) {
                int dOff = (b * CO + co) * HW, xOff = (b * CI + ci) * HW;
                for (int y = 0; y < H; y++) {
                    int d = dOff + y * W;
                    for (int ky = 0; ky < 3; ky++) {
                        int iy = y + ky - 1;
                        if (iy < 0 || iy >= H) continue;
                        int i = xOff + iy * W;
                        float t0 = 0f, t1 = dout[d] * x[i], t2 = 0f;             // x = 0: no left tap
                        if (W > 1) t2 = dout[d] * x[i + 1];
                        for (int xx = 1; xx < W - 1; xx++) {
                            float g = dout[d + xx];
                            t0 += g * x[i + xx - 1];
                            t1 += g * x[i + xx];
                            t2 += g * x[i + xx + 1];
                        }
                        if (W > 1) {                                            // x = W−1: no right tap
                            float g = dout[d + W - 1];
                            t0 += g * x[i + W - 2];
                            t1 += g * x[i + W - 1];
                        }
                        if (ky == 0) { a00 += t0; a01 += t1; a02 += t2; }
                        else if (ky == 1) { a10 += t0; a11 += t1; a12 += t2; }
                        else { a20 += t0; a21 += t1; a22 += t2; }
                    }
                    if (ci == 0) for (int xx = 0; xx < W; xx++) ab += dout[d + xx];
                }
            }
            int o = r * 9;
            dw[o] += a00; dw[o + 1] += a01; dw[o + 2] += a02;
            dw[o + 3] += a10; dw[o + 4] += a11; dw[o + 5] += a12;
            dw[o + 6] += a20; dw[o + 7] += a21; dw[o + 8] += a22;
            if (ci == 0) db[co] += ab;
        }
    }

    /**
     * Helper: out[oOff + y·W + x] += Σ_{ky,kx} k[ky,kx]·in[iOff + (y+ky−1)·W + (x+kx−1)] over one H×W plane (zero
     * padding), where k[ky,kx] = w[wOff + 3·ky + kx], or w[wOff + 8 − (3·ky + kx)] (the kernel rotated by 180°) when
     * flip = 1. An interior output row reads its three input rows in one sweep (9 taps per load/store of out); the
     * top and bottom rows take the valid rows one at a time. Border columns are peeled, so the inner loops have no
     * bounds checks and vectorise.
     */
    static void correlate3x3(float[] out, int oOff, float[] in, int iOff, float[] w, int wOff, int flip, int H, int W) {
        int base = flip == 0 ? wOff : wOff + 8, s = flip == 0 ? 1 : -1;
        float k00 = w[base], k01 = w[base + s], k02 = w[base + 2 * s];
        float k10 = w[base + 3 * s], k11 = w[base + 4 * s], k12 = w[base + 5 * s];
        float k20 = w[base + 6 * s], k21 = w[base + 7 * s], k22 = w[base + 8 * s];
        for (int y = 0; y < H; y++) {
            int o = oOff + y * W, c = iOff + y * W;
            if (y > 0 && y < H - 1) {
                correlateRows3(out, o, in, c - W, c, c + W, k00, k01, k02, k10, k11, k12, k20, k21, k22, W);
            } else {
                if (y > 0) correlateRow(out, o, in, c - W, k00, k01, k02, W);
                correlateRow(out, o, in, c, k10, k11, k12, W);
                if (y < H - 1) correlateRow(out, o, in, c + W, k20, k21, k22, W);
            }
        }
    }

    /**
     * Helper for 2×2 planes (the deepest U-Net stage), where the general row sweep is all overhead: adds to the four
     * outputs out[o..o+3] the 3×3 correlation of n input planes, plane j at in[iOff + j·iStride] with its kernel at
     * w[wOff + j·wStride] (flipped as in {@link #correlate3x3} when flip = 1), keeping the four sums in registers.
     * On a 2×2 image with padding 1, output (y, x) sees input (y', x') through tap (y' − y + 1, x' − x + 1).
     */
    static void correlate2x2Planes(float[] out, int o, float[] in, int iOff, int iStride, float[] w, int wOff, int wStride,
                                   int n, int flip) {
        float s00 = 0f, s01 = 0f, s10 = 0f, s11 = 0f;
        int sg = flip == 0 ? 1 : -1;
        for (int j = 0; j < n; j++) {
            int i = iOff + j * iStride, k = flip == 0 ? wOff + j * wStride : wOff + j * wStride + 8;
            float x00 = in[i], x01 = in[i + 1], x10 = in[i + 2], x11 = in[i + 3];
            float k00 = w[k], k01 = w[k + sg], k02 = w[k + 2 * sg];
            float k10 = w[k + 3 * sg], k11 = w[k + 4 * sg], k12 = w[k + 5 * sg];
            float k20 = w[k + 6 * sg], k21 = w[k + 7 * sg], k22 = w[k + 8 * sg];
            s00 += k11 * x00 + k12 * x01 + k21 * x10 + k22 * x11;
            s01 += k10 * x00 + k11 * x01 + k20 * x10 + k21 * x11;
            s10 += k01 * x00 + k02 * x01 + k11 * x10 + k12 * x11;
            s11 += k00 * x00 + k01 * x01 + k10 * x10 + k11 * x11;
        }
        out[o] += s00;
        out[o + 1] += s01;
        out[o + 2] += s10;
        out[o + 3] += s11;
    }

    /**
     * Helper for planes whose width is a multiple of 4: like {@link #correlate2x2Planes}, but for blocks of four
     * outputs of one row; each block sums over all n input planes (3 input rows × 6 values, 9 taps) in registers.
     */
    static void correlateBlocks4(float[] out, int o, float[] in, int iOff, int iStride, float[] w, int wOff, int wStride,
                                 int n, int flip, int H, int W) {
        int sg = flip == 0 ? 1 : -1;
        for (int y = 0; y < H; y++) {
            for (int x0 = 0; x0 < W; x0 += 4) {
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                boolean left = x0 > 0, right = x0 + 4 < W;
                for (int j = 0; j < n; j++) {
                    int i = iOff + j * iStride + x0, k = flip == 0 ? wOff + j * wStride : wOff + j * wStride + 8;
                    for (int ky = 0; ky < 3; ky++) {
                        int iy = y + ky - 1;
                        if (iy < 0 || iy >= H) continue;
                        int r = i + iy * W, kr = k + 3 * ky * sg;
                        float a = left ? in[r - 1] : 0f, b0 = in[r], b1 = in[r + 1], b2 = in[r + 2], b3 = in[r + 3];
                        float c = right ? in[r + 4] : 0f;
                        float k0 = w[kr], k1 = w[kr + sg], k2 = w[kr + 2 * sg];
                        s0 += k0 * a + k1 * b0 + k2 * b1;
                        s1 += k0 * b0 + k1 * b1 + k2 * b2;
                        s2 += k0 * b1 + k1 * b2 + k2 * b3;
                        s3 += k0 * b2 + k1 * b3 + k2 * c;
                    }
                }
                int q = o + y * W + x0;
                out[q] += s0;
                out[q + 1] += s1;
                out[q + 2] += s2;
                out[q + 3] += s3;
            }
        }
    }

    /** Helper: out[o + x] += k0·in[i + x − 1] + k1·in[i + x] + k2·in[i + x + 1] for x in [0, W), zero outside the row. */
    static void correlateRow(float[] out, int o, float[] in, int i, float k0, float k1, float k2, int W) {
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

    /** Helper: {@link #correlateRow} for the three input rows a, c, e (above, at, below) of one output row, in one sweep. */
    static void correlateRows3(float[] out, int o, float[] in, int a, int c, int e,
                               float k00, float k01, float k02, float k10, float k11, float k12,
                               float k20, float k21, float k22, int W) {
        if (W == 1) {
            out[o] += k01 * in[a] + k11 * in[c] + k21 * in[e];
        } else {
            out[o] += k01 * in[a] + k02 * in[a + 1] + k11 * in[c] + k12 * in[c + 1] + k21 * in[e] + k22 * in[e + 1];
            for (int xx = 1; xx < W - 1; xx++) {
                out[o + xx] += k00 * in[a + xx - 1] + k01 * in[a + xx] + k02 * in[a + xx + 1]
                        + k10 * in[c + xx - 1] + k11 * in[c + xx] + k12 * in[c + xx + 1]
                        + k20 * in[e + xx - 1] + k21 * in[e + xx] + k22 * in[e + xx + 1];
            }
            int l = W - 1;
            out[o + l] += k00 * in[a + l - 1] + k01 * in[a + l] + k10 * in[c + l - 1] + k11 * in[c + l]
                    + k20 * in[e + l - 1] + k21 * in[e + l];
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
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
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
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
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
            dw[r] += acc;
            if (ci == 0) db[co] += accB;
        }
    }
}
