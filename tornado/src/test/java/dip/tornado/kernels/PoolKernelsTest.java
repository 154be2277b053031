package dip.tornado.kernels;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** MaxPool 2×2 stride 2: ties, odd sizes, NaN, scatter backward. */
class PoolKernelsTest {

    @Test
    void knownCaseWithTies() {
        // Four windows of a 4×4 plane (flat indices in brackets):
        //  1[0]  3[1] |  2[2]  2[3]     window (0,0): 3 at [1] and [4] -> first in row-major order: [1]
        //  3[4]  0[5] |  2[6]  2[7]     window (0,1): all 2            -> [2]
        // -1[8] -5[9] |  0[10] 7[11]    window (1,0): −1 at [8], [13]  -> [8]
        // -2[12]-1[13]|  7[14] 0[15]    window (1,1): 7 at [11], [14]  -> [11]
        float[] x = {1, 3, 2, 2, 3, 0, 2, 2, -1, -5, 0, 7, -2, -1, 7, 0};
        float[] out = new float[4];
        int[] argmax = new int[4];
        PoolKernels.maxPool2x2Forward(out, argmax, x, 0, 4, 4, 4);
        assertArrayEquals(new float[]{3, 2, -1, 7}, out, 0f);
        assertArrayEquals(new int[]{1, 2, 8, 11}, argmax);
        float[] dx = new float[16];
        dx[1] = 100f;                                              // backward accumulates
        PoolKernels.maxPool2x2Backward(dx, new float[]{10, 20, 30, 40}, argmax, 0, 4);
        float[] expected = new float[16];
        expected[1] = 110; expected[2] = 20; expected[8] = 30; expected[11] = 40;
        assertArrayEquals(expected, dx, 0f);
    }

    @Test
    void nanPropagatesLikeTorch() {
        float[] out = new float[1];
        int[] argmax = new int[1];
        PoolKernels.maxPool2x2Forward(out, argmax, new float[]{1, Float.NaN, 5, 2}, 0, 1, 2, 2);
        assertEquals(1, argmax[0]);
        assertEquals(Float.NaN, out[0]);
    }

    /** Odd H, W drop the last row/column (torch floors); compared against a brute-force max over several planes. */
    @Test
    void oddSizesMatchBruteForce() {
        var rng = new Rng(21);
        int planes = 3, H = 5, W = 7, OH = 2, OW = 3;
        float[] x = rng.normal(planes * H * W);
        float[] out = new float[planes * OH * OW];
        int[] argmax = new int[out.length];
        PoolKernels.maxPool2x2Forward(out, argmax, x, 0, 5, H, W);        // two slices
        PoolKernels.maxPool2x2Forward(out, argmax, x, 5, out.length, H, W);
        for (int p = 0; p < planes; p++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < 2; ky++)
                        for (int kx = 0; kx < 2; kx++) m = Math.max(m, x[(p * H + 2 * oy + ky) * W + 2 * ox + kx]);
                    int r = (p * OH + oy) * OW + ox;
                    assertEquals(m, out[r], 0f, "out[" + r + "]");
                    assertEquals(m, x[argmax[r]], 0f, "x[argmax[" + r + "]]");
                }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        var rng = new Rng(22);
        int planes = 3, H = 6, W = 5, n = planes * (H / 2) * (W / 2);
        float[] x = rng.normal(planes * H * W), dout = rng.normal(n);
        float[] out = new float[n];
        int[] argmax = new int[n];
        PoolKernels.maxPool2x2Forward(out, argmax, x, 0, n, H, W);
        float[] dx = new float[x.length];
        PoolKernels.maxPool2x2Backward(dx, dout, argmax, 0, n);
        int[] scratch = new int[n];
        // A small step keeps every window's winner (normal samples are ~1e-2 apart or more, almost surely).
        GradCheck.assertDirectional("maxpool dx", xs -> {
            PoolKernels.maxPool2x2Forward(out, scratch, xs, 0, n, H, W);
            return GradCheck.dot(out, dout, n);
        }, x, dx, rng, 1e-4, Tol.GRAD_REL);
    }
}
