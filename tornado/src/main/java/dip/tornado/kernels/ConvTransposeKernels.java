package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Transposed convolution with kernel 2, stride 2, no padding, with bias, as torch.nn.ConvTranspose2d(CI, CO, 2, 2):
 * every input pixel paints its own 2×2 output block, so the output is exactly twice the size and the blocks never
 * overlap. NCHW row-major; x: (B, CI, H, W), w: (CI, CO, 2, 2) (torch's layout: in first), bias: (CO),
 * out: (B, CO, 2H, 2W):
 * <pre>out[b, co, 2y + ky, 2x + kx] = bias[co] + Σ_ci x[b, ci, y, x]·w[ci, co, ky, kx]</pre>
 * Forward is parallel over output planes (b·CO + co), backward-to-input over input planes (b·CI + ci), and
 * backward-to-weight over r = ci·CO + co, which owns dW[ci, co, :, :] (and db[co] when ci = 0).
 */
public final class ConvTransposeKernels {
    private ConvTransposeKernels() {
    }

    /** For cross-checks only: each output element on its own, out[b,co,oy,ox] = bias[co] + Σ_ci x[b,ci,oy/2,ox/2]·w[ci,co,oy%2,ox%2]. */
    public static void convTranspose2x2ForwardNaive(float[] out, float[] x, float[] w, float[] bias,
                                                    int B, int CI, int CO, int H, int W) {
        int OH = 2 * H, OW = 2 * W;
        for (int b = 0; b < B; b++) {
            for (int co = 0; co < CO; co++) {
                for (int oy = 0; oy < OH; oy++) {
                    for (int ox = 0; ox < OW; ox++) {
                        float acc = bias[co];
                        for (int ci = 0; ci < CI; ci++) {
                            acc += x[((b * CI + ci) * H + oy / 2) * W + ox / 2] * w[((ci * CO + co) * 2 + oy % 2) * 2 + ox % 2];
                        }
                        out[((b * CO + co) * OH + oy) * OW + ox] = acc;
                    }
                }
            }
        }
    }

    /** Writes output planes r = b·CO + co in [r0, r1): out[b,co,2y+ky,2x+kx] = bias[co] + Σ_ci x[b,ci,y,x]·w[ci,co,ky,kx]. */
    public static void convTranspose2x2Forward(float[] out, float[] x, float[] w, float[] bias,
                                               int r0, int r1, int CI, int CO, int H, int W) {
        int HW = H * W, OW = 2 * W;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int b = r / CO, co = r - b * CO;
            int o = r * 4 * HW;                                          // seek to out[b, co]
            float bv = bias[co];
            for (int i = 0; i < 4 * HW; i++) out[o + i] = bv;
            for (int ci = 0; ci < CI; ci++) {
                int wo = (ci * CO + co) * 4;
                float w00 = w[wo], w01 = w[wo + 1], w10 = w[wo + 2], w11 = w[wo + 3];
                int i = (b * CI + ci) * HW;
                for (int y = 0; y < H; y++) {
                    int top = o + 2 * y * OW, bottom = top + OW;          // output rows 2y and 2y+1
                    for (int xx = 0; xx < W; xx++) {
                        float v = x[i + y * W + xx];
                        out[top + 2 * xx] += v * w00;
                        out[top + 2 * xx + 1] += v * w01;
                        out[bottom + 2 * xx] += v * w10;
                        out[bottom + 2 * xx + 1] += v * w11;
                    }
                }
            }
        }
    }

    /**
     * Accumulates into dx planes r = b·CI + ci in [r0, r1): dx[b,ci,y,x] += Σ_{co,ky,kx} w[ci,co,ky,kx]·dout[b,co,2y+ky,2x+kx].
     * Forward was: out[b,co,2y+ky,2x+kx] += x[b,ci,y,x]·w[ci,co,ky,kx].
     */
    public static void convTranspose2x2BackwardInput(float[] dx, float[] dout, float[] w,
                                                     int r0, int r1, int CI, int CO, int H, int W) {
        int HW = H * W, OW = 2 * W;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int b = r / CI, ci = r - b * CI;
            int o = r * HW;                                              // seek to dx[b, ci]
            for (int co = 0; co < CO; co++) {
                int wo = (ci * CO + co) * 4;
                float w00 = w[wo], w01 = w[wo + 1], w10 = w[wo + 2], w11 = w[wo + 3];
                int d = (b * CO + co) * 4 * HW;
                for (int y = 0; y < H; y++) {
                    int top = d + 2 * y * OW, bottom = top + OW;
                    for (int xx = 0; xx < W; xx++) {
                        dx[o + y * W + xx] += w00 * dout[top + 2 * xx] + w01 * dout[top + 2 * xx + 1]
                                + w10 * dout[bottom + 2 * xx] + w11 * dout[bottom + 2 * xx + 1];
                    }
                }
            }
        }
    }

    /**
     * Accumulates dW[ci, co, :, :] for r = ci·CO + co in [r0, r1), and db[co] in the ci = 0 iteration:
     * dW[ci,co,ky,kx] += Σ_{b,y,x} x[b,ci,y,x]·dout[b,co,2y+ky,2x+kx], db[co] += Σ_{b,oy,ox} dout[b,co,oy,ox].
     * Forward was: out[b,co,2y+ky,2x+kx] = bias[co] + Σ_ci x[b,ci,y,x]·w[ci,co,ky,kx].
     */
    public static void convTranspose2x2BackwardWeight(float[] dw, float[] db, float[] dout, float[] x,
                                                      int r0, int r1, int B, int CI, int CO, int H, int W) {
        int HW = H * W, OW = 2 * W;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int ci = r / CO, co = r - ci * CO;
            float a00 = 0f, a01 = 0f, a10 = 0f, a11 = 0f, ab = 0f;
            for (int b = 0; b < B; b++) {
                int i = (b * CI + ci) * HW, d = (b * CO + co) * 4 * HW;
                for (int y = 0; y < H; y++) {
                    int top = d + 2 * y * OW, bottom = top + OW;
                    for (int xx = 0; xx < W; xx++) {
                        float v = x[i + y * W + xx];
                        float g00 = dout[top + 2 * xx], g01 = dout[top + 2 * xx + 1];
                        float g10 = dout[bottom + 2 * xx], g11 = dout[bottom + 2 * xx + 1];
                        a00 += v * g00; a01 += v * g01; a10 += v * g10; a11 += v * g11;
                        ab += g00 + g01 + g10 + g11;
                    }
                }
            }
            dw[r * 4] += a00; dw[r * 4 + 1] += a01; dw[r * 4 + 2] += a10; dw[r * 4 + 3] += a11;
            if (ci == 0) db[co] += ab;
        }
    }
}
