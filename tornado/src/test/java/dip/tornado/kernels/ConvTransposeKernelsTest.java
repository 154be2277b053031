package dip.tornado.kernels;

import dip.util.Arena;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static dip.util.Arena.B_OFF;
import static dip.util.Arena.W_OFF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * ConvTranspose2d(k = 2, s = 2): a hand-worked 1×1 input, fast vs naive, finite-difference checks; weights and their
 * gradients at offsets into larger arrays ({@link Arena}).
 */
class ConvTransposeKernelsTest {

    @Test
    void oneByOneInputPaintsTheKernel() {
        // x: 2 channels, 1×1: [2, −1]; CO = 1; w[ci=0] = [1 2; 3 4], w[ci=1] = [10 20; 30 40]; bias 0.5.
        // out = 0.5 + 2·[1 2; 3 4] − [10 20; 30 40] = [0.5−8, 0.5−16; 0.5−24, 0.5−32] = [−7.5 −15.5; −23.5 −31.5]
        float[] out = new float[4];
        float[] x = {2, -1}, w = {1, 2, 3, 4, 10, 20, 30, 40}, b = {0.5f};
        float[] expected = {-7.5f, -15.5f, -23.5f, -31.5f};
        ConvTransposeKernels.convTranspose2x2Forward(out, x, Arena.at(W_OFF, w), W_OFF, Arena.at(B_OFF, b), B_OFF, 0, 1, 2, 1, 1, 1);
        assertArrayEquals(expected, out, Tol.FWD_F32, "fast");
        ConvTransposeKernels.convTranspose2x2ForwardNaive(out, x, w, b, 1, 2, 1, 1, 1);
        assertArrayEquals(expected, out, Tol.FWD_F32, "naive");
    }

    @Test
    void layoutIsInOutKyKx() {
        // CI = 1, CO = 2, a 1×2 input [1, 0]: only the left 2×2 block of each output plane gets the kernel,
        // and output channel 1 reads w[0, 1, :, :] = [5 6; 7 8].
        float[] x = {1, 0}, w = {1, 2, 3, 4, 5, 6, 7, 8}, b = {0, 0};
        float[] out = new float[2 * 2 * 4];
        ConvTransposeKernels.convTranspose2x2Forward(out, x, w, 0, b, 0, 0, 2, 1, 2, 1, 2);
        assertArrayEquals(new float[]{1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0, 0, 7, 8, 0, 0}, out, Tol.FWD_F32);
    }

    @Test
    void fastWithOffsetsMatchesNaive() {
        var rng = new Rng(11);
        for (int B = 1; B <= 2; B++)
            for (int CI : new int[]{1, 3})
                for (int CO : new int[]{1, 2, 5})
                    for (int H = 1; H <= 4; H++)
                        for (int W = 1; W <= 3; W++) {
                            float[] x = rng.normal(B * CI * H * W), w = rng.normal(CI * CO * 4), b = rng.normal(CO);
                            float[] fast = new float[B * CO * 4 * H * W], naive = new float[fast.length];
                            ConvTransposeKernels.convTranspose2x2Forward(fast, x, Arena.at(W_OFF, w), W_OFF,
                                    Arena.at(B_OFF, b), B_OFF, 0, B * CO, CI, CO, H, W);
                            ConvTransposeKernels.convTranspose2x2ForwardNaive(naive, x, w, b, B, CI, CO, H, W);
                            GradCheck.assertClose("convT B" + B + " CI" + CI + " CO" + CO + " " + H + "x" + W,
                                    naive, fast, naive.length, Tol.FAST_VS_NAIVE);
                        }
    }

    @Test
    void backwardWithOffsetsMatchesFiniteDifferences() {
        var rng = new Rng(12);
        int[][] shapes = {{2, 3, 5, 3, 2}, {1, 5, 3, 1, 1}};      // B, CI, CO, H, W
        for (int[] s : shapes) {
            int B = s[0], CI = s[1], CO = s[2], H = s[3], W = s[4];
            float[] x = rng.normal(B * CI * H * W), w = rng.normal(CI * CO * 4), b = rng.normal(CO);
            float[] dout = rng.normal(B * CO * 4 * H * W);
            float[] dx = new float[x.length], dwA = Arena.zerosAt(W_OFF, w.length), dbA = Arena.zerosAt(B_OFF, CO);
            ConvTransposeKernels.convTranspose2x2BackwardInput(dx, dout, Arena.at(W_OFF, w), W_OFF, 0, B * CI, CI, CO, H, W);
            ConvTransposeKernels.convTranspose2x2BackwardWeight(dwA, W_OFF, dbA, B_OFF, dout, x, 0, CI * CO, B, CI, CO, H, W);
            Arena.assertOutsideUntouched("convT dw", dwA, W_OFF, w.length);
            Arena.assertOutsideUntouched("convT db", dbA, B_OFF, CO);
            float[] dw = Arena.slice(dwA, W_OFF, w.length), db = Arena.slice(dbA, B_OFF, CO);
            float[] out = new float[dout.length];
            GradCheck.assertDirectional("convT dx", xs -> {
                ConvTransposeKernels.convTranspose2x2ForwardNaive(out, xs, w, b, B, CI, CO, H, W);
                return GradCheck.dot(out, dout, out.length);
            }, x, dx, rng, 1e-2, Tol.GRAD_REL);
            GradCheck.assertDirectional("convT dw", ws -> {
                ConvTransposeKernels.convTranspose2x2ForwardNaive(out, x, ws, b, B, CI, CO, H, W);
                return GradCheck.dot(out, dout, out.length);
            }, w, dw, rng, 1e-2, Tol.GRAD_REL);
            GradCheck.assertDirectional("convT db", bs -> {
                ConvTransposeKernels.convTranspose2x2ForwardNaive(out, x, w, bs, B, CI, CO, H, W);
                return GradCheck.dot(out, dout, out.length);
            }, b, db, rng, 1e-2, Tol.GRAD_REL);
        }
    }
}
