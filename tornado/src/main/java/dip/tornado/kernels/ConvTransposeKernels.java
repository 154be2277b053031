package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Transposed convolution with kernel 2, stride 2, no padding, with bias, as torch.nn.ConvTranspose2d(CI, CO, 2, 2):
 * every input pixel paints its own 2×2 output block, so the output is exactly twice the size and the blocks never
 * overlap. NCHW row-major; x: (B, CI, H, W), w: (CI, CO, 2, 2) (torch's layout: in first), bias: (CO),
 * out: (B, CO, 2H, 2W):
 * <pre>out[b, co, 2y + ky, 2x + kx] = bias[co] + Σ_ci x[b, ci, y, x]·w[ci, co, ky, kx]</pre>
 * Every kernel has two {@code @Parallel} loops, one work-item per element written: forward over output planes
 * (b·CO + co) × output pixels, backward-to-input over input planes (b·CI + ci) × pixels, and backward-to-weight over
 * r = ci·CO + co × the four taps of dW[ci, co, :, :] (the tap-0 work-item of ci = 0 also owns db[co]).
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

    /**
     * Writes output planes r = b·CO + co in [r0, r1): out[b,co,2y+ky,2x+kx] = bias[co] + Σ_ci x[b,ci,y,x]·w[ci,co,ky,kx].
     * w at wOff: (CI, CO, 2, 2), bias at bOff: (CO). One work-item per output element.
     */
    public static void convTranspose2x2Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff,
                                               int r0, int r1, int CI, int CO, int H, int W) {
        int HW = H * W, OW = 2 * W;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int q = 0; q < 4 * HW; q++) {
                int r = r0 + it;
                int b = r / CO, co = r - b * CO;
                int oy = q / OW, ox = q - oy * OW;
                int i = (b * CI * H + (oy >> 1)) * W + (ox >> 1), k = wOff + co * 4 + (oy & 1) * 2 + (ox & 1);
                float acc = 0f;
                for (int ci = 0; ci < CI; ci++) acc += x[i + ci * HW] * w[k + ci * CO * 4];
                out[r * 4 * HW + q] = acc + bias[bOff + co];
            }
        }
    }

    /**
     * Writes dx planes r = b·CI + ci in [r0, r1): dx[b,ci,y,x] = Σ_{co,ky,kx} w[ci,co,ky,kx]·dout[b,co,2y+ky,2x+kx],
     * w at wOff, one work-item per element. Forward was: out[b,co,2y+ky,2x+kx] += x[b,ci,y,x]·w[ci,co,ky,kx].
     */
    public static void convTranspose2x2BackwardInput(float[] dx, float[] dout, float[] w, int wOff,
                                                     int r0, int r1, int CI, int CO, int H, int W) {
        int HW = H * W, OW = 2 * W;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int p = 0; p < HW; p++) {
                int r = r0 + it;
                int b = r / CI, ci = r - b * CI;
                int y = p / W, xx = p - y * W;
                float acc = 0f;
                for (int co = 0; co < CO; co++) {
                    int k = wOff + (ci * CO + co) * 4, top = (b * CO + co) * 4 * HW + 2 * y * OW + 2 * xx, bottom = top + OW;
                    acc += w[k] * dout[top] + w[k + 1] * dout[top + 1] + w[k + 2] * dout[bottom] + w[k + 3] * dout[bottom + 1];
                }
                dx[r * HW + p] = acc;
            }
        }
    }

    /**
     * Accumulates dW[ci, co, ky, kx] for r = ci·CO + co in [r0, r1), one work-item per tap t = 2·ky + kx, and db[co]
     * in the work-item (ci = 0, t = 0): dW[ci,co,ky,kx] += Σ_{b,y,x} x[b,ci,y,x]·dout[b,co,2y+ky,2x+kx],
     * db[co] += Σ_{b,oy,ox} dout[b,co,oy,ox]; dW at dwOff, db at dbOff. Forward was:
     * out[b,co,2y+ky,2x+kx] = bias[co] + Σ_ci x[b,ci,y,x]·w[ci,co,ky,kx].
     */
    public static void convTranspose2x2BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                                      int r0, int r1, int B, int CI, int CO, int H, int W) {
        int HW = H * W, OW = 2 * W;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int t = 0; t < 4; t++) {
                int r = r0 + it;
                int ci = r / CO, co = r - ci * CO;
                int ky = t >> 1, kx = t & 1;
                float acc = 0f;
                for (int b = 0; b < B; b++) {
                    int i = (b * CI + ci) * HW, d = (b * CO + co) * 4 * HW + ky * OW + kx;
                    for (int y = 0; y < H; y++) {
                        for (int xx = 0; xx < W; xx++) acc += x[i + y * W + xx] * dout[d + 2 * y * OW + 2 * xx];
                    }
                }
                dw[dwOff + r * 4 + t] += acc;
                if (ci == 0 && t == 0) db[dbOff + co] += ConvKernels.planeSum(dout, co * 4 * HW, CO * 4 * HW, B, 4 * HW);
            }
        }
    }
}
