package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * MaxPool2d(2, stride=2) as torch.nn.MaxPool2d: OH = H/2, OW = W/2 (floor; an odd last row or column is dropped).
 * x: (B·C, H, W) planes, out and argmax: (B·C, OH, OW). argmax keeps the flat index into x of the element each output
 * took, so the backward is a scatter. Ties go to the first element in row-major window order (torch's CPU kernel
 * replaces the running max only on a strictly greater value), and a NaN wins (torch propagates NaN).
 * Both kernels are parallel over output elements: each output owns a disjoint 2×2 window, so the scatter is race-free.
 */
public final class PoolKernels {
    private PoolKernels() {
    }

    /**
     * Writes out[r] = max of its 2×2 window and argmax[r] = the flat x index of that max, for outputs r in [r0, r1),
     * r = (plane·OH + oy)·OW + ox, plane = b·C + c.
     */
    public static void maxPool2x2Forward(float[] out, int[] argmax, float[] x, int r0, int r1, int H, int W) {
        int OH = H / 2, OW = W / 2;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int plane = r / (OH * OW), rem = r - plane * OH * OW, oy = rem / OW, ox = rem - oy * OW;
            int top = (plane * H + 2 * oy) * W + 2 * ox;            // x[plane, 2oy, 2ox]
            int best = top;
            float m = x[top];
            int i = top + 1;                                        // scan (0,1), (1,0), (1,1) in row-major order
            float v = x[i];
            if (v > m || v != v) { m = v; best = i; }
            i = top + W;
            v = x[i];
            if (v > m || v != v) { m = v; best = i; }
            i = top + W + 1;
            v = x[i];
            if (v > m || v != v) { m = v; best = i; }
            out[r] = m;
            argmax[r] = best;
        }
    }

    /**
     * Accumulates dx[argmax[r]] += dout[r] for outputs r in [r0, r1).
     * Forward was: out[r] = x[argmax[r]] (the other three window elements get no gradient).
     */
    public static void maxPool2x2Backward(float[] dx, float[] dout, int[] argmax, int r0, int r1) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            dx[argmax[r]] += dout[r];
        }
    }
}
