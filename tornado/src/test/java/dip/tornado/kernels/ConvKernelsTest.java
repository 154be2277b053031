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
 * 3×3 and 1×1 convolutions: a hand-worked case, fast vs naive over many shapes, finite-difference checks. The kernels
 * read weights and write weight gradients at an offset into a larger array ({@link Arena}), as in the model's flat
 * parameter array.
 */
class ConvKernelsTest {

    @Test
    void conv3x3KnownCase() {
        // x = 1 2 3 / 4 5 6 / 7 8 9; w has two taps: w[0,0] = 10 (reads x[y−1, x−1]) and w[1,2] = 1 (reads x[y, x+1]);
        // bias 0.5. So out[y,x] = 0.5 + 10·x[y−1,x−1] + x[y,x+1], zero outside:
        //   row 0: 0.5+2, 0.5+3, 0.5         = 2.5  3.5  0.5
        //   row 1: 0.5+5, 0.5+10+6, 0.5+20   = 5.5 16.5 20.5
        //   row 2: 0.5+8, 0.5+40+9, 0.5+50   = 8.5 49.5 50.5
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = new float[9];
        w[0] = 10f;
        w[5] = 1f;
        float[] bias = {0.5f};
        float[] expected = {2.5f, 3.5f, 0.5f, 5.5f, 16.5f, 20.5f, 8.5f, 49.5f, 50.5f};
        float[] out = new float[9];
        ConvKernels.conv3x3Forward(out, x, Arena.at(W_OFF, w), W_OFF, Arena.at(B_OFF, bias), B_OFF, 0, 1, 1, 1, 3, 3);
        assertArrayEquals(expected, out, Tol.FWD_F32, "fast");
        ConvKernels.conv3x3ForwardNaive(out, x, w, bias, 1, 1, 1, 3, 3);
        assertArrayEquals(expected, out, Tol.FWD_F32, "naive");
    }

    @Test
    void conv1x1KnownCase() {
        // x: 2 channels × 2 pixels = [1, 2 | 3, 4]; w = [[1, 10], [−1, 0]]; bias = [0, 5]
        // out[0] = [1 + 30, 2 + 40] = [31, 42]; out[1] = [5 − 1, 5 − 2] = [4, 3]
        float[] out = new float[4];
        ConvKernels.conv1x1Forward(out, new float[]{1, 2, 3, 4}, new float[]{1, 10, -1, 0}, 0, new float[]{0, 5}, 0, 0, 2, 2, 2, 2);
        assertArrayEquals(new float[]{31, 42, 4, 3}, out, Tol.FWD_F32);
    }

    /** The fast kernel reads w and bias at their offsets (NaN around them) and agrees with the naive one. */
    @Test
    void conv3x3FastWithOffsetsMatchesNaive() {
        var rng = new Rng(1);
        for (int B = 1; B <= 2; B++)
            for (int CI : new int[]{1, 3})
                for (int CO : new int[]{1, 2, 5})
                    for (int H = 1; H <= 6; H++)
                        for (int W : new int[]{1, 2, 3, 4, 5, 8}) {
                            float[] x = rng.normal(B * CI * H * W), w = rng.normal(CO * CI * 9), b = rng.normal(CO);
                            float[] fast = new float[B * CO * H * W], naive = new float[B * CO * H * W];
                            ConvKernels.conv3x3Forward(fast, x, Arena.at(W_OFF, w), W_OFF, Arena.at(B_OFF, b), B_OFF,
                                    0, B * CO, CI, CO, H, W);
                            ConvKernels.conv3x3ForwardNaive(naive, x, w, b, B, CI, CO, H, W);
                            GradCheck.assertClose("conv3x3 B" + B + " CI" + CI + " CO" + CO + " " + H + "x" + W,
                                    naive, fast, naive.length, Tol.FAST_VS_NAIVE);
                        }
    }

    @Test
    void conv1x1FastWithOffsetsMatchesNaive() {
        var rng = new Rng(2);
        for (int B = 1; B <= 3; B++)
            for (int CI = 1; CI <= 4; CI += 3)
                for (int CO = 1; CO <= 5; CO += 2)
                    for (int HW = 1; HW <= 7; HW += 3) {
                        float[] x = rng.normal(B * CI * HW), w = rng.normal(CO * CI), b = rng.normal(CO);
                        float[] fast = new float[B * CO * HW], naive = new float[B * CO * HW];
                        ConvKernels.conv1x1Forward(fast, x, Arena.at(W_OFF, w), W_OFF, Arena.at(B_OFF, b), B_OFF, 0, B * CO, CI, CO, HW);
                        ConvKernels.conv1x1ForwardNaive(naive, x, w, b, B, CI, CO, HW);
                        GradCheck.assertClose("conv1x1", naive, fast, naive.length, Tol.FAST_VS_NAIVE);
                    }
    }

    /**
     * L = ⟨conv3x3(x; w, b), dout⟩ against the three backward outputs, on several shapes including 1- and 2-wide
     * planes; w read at its offset, dw and db written at theirs and nowhere else.
     */
    @Test
    void conv3x3BackwardMatchesFiniteDifferences() {
        var rng = new Rng(3);
        // B, CI, CO, H, W; 2×2 planes and widths that are multiples of 4 take their own code paths
        int[][] shapes = {{2, 3, 5, 5, 4}, {2, 3, 5, 2, 2}, {1, 2, 3, 3, 8}, {1, 3, 5, 1, 3}, {3, 2, 3, 2, 1}, {1, 1, 1, 1, 1}};
        for (int[] s : shapes) {
            int B = s[0], CI = s[1], CO = s[2], H = s[3], W = s[4];
            float[] x = rng.normal(B * CI * H * W), w = rng.normal(CO * CI * 9), b = rng.normal(CO);
            float[] dout = rng.normal(B * CO * H * W);
            float[] dx = new float[x.length], dwA = Arena.zerosAt(W_OFF, w.length), dbA = Arena.zerosAt(B_OFF, CO);
            ConvKernels.conv3x3BackwardInput(dx, dout, Arena.at(W_OFF, w), W_OFF, 0, B * CI, CI, CO, H, W);
            ConvKernels.conv3x3BackwardWeight(dwA, W_OFF, dbA, B_OFF, dout, x, 0, CO * CI, B, CI, CO, H, W);
            Arena.assertOutsideUntouched("conv3x3 dw", dwA, W_OFF, w.length);
            Arena.assertOutsideUntouched("conv3x3 db", dbA, B_OFF, CO);
            float[] dw = Arena.slice(dwA, W_OFF, w.length), db = Arena.slice(dbA, B_OFF, CO);
            float[] out = new float[dout.length];
            GradCheck.assertDirectional("conv3x3 dx", xs -> {
                ConvKernels.conv3x3ForwardNaive(out, xs, w, b, B, CI, CO, H, W);
                return GradCheck.dot(out, dout, out.length);
            }, x, dx, rng, 1e-2, Tol.GRAD_REL);
            GradCheck.assertDirectional("conv3x3 dw", ws -> {
                ConvKernels.conv3x3ForwardNaive(out, x, ws, b, B, CI, CO, H, W);
                return GradCheck.dot(out, dout, out.length);
            }, w, dw, rng, 1e-2, Tol.GRAD_REL);
            GradCheck.assertDirectional("conv3x3 db", bs -> {
                ConvKernels.conv3x3ForwardNaive(out, x, w, bs, B, CI, CO, H, W);
                return GradCheck.dot(out, dout, out.length);
            }, b, db, rng, 1e-2, Tol.GRAD_REL);
        }
    }

    @Test
    void conv1x1BackwardMatchesFiniteDifferences() {
        var rng = new Rng(4);
        int B = 2, CI = 3, CO = 5, HW = 7;
        float[] x = rng.normal(B * CI * HW), w = rng.normal(CO * CI), b = rng.normal(CO), dout = rng.normal(B * CO * HW);
        float[] dx = new float[x.length], dwA = Arena.zerosAt(W_OFF, w.length), dbA = Arena.zerosAt(B_OFF, CO);
        ConvKernels.conv1x1BackwardInput(dx, dout, Arena.at(W_OFF, w), W_OFF, 0, B * CI, CI, CO, HW);
        ConvKernels.conv1x1BackwardWeight(dwA, W_OFF, dbA, B_OFF, dout, x, 0, CO * CI, B, CI, CO, HW);
        Arena.assertOutsideUntouched("conv1x1 dw", dwA, W_OFF, w.length);
        Arena.assertOutsideUntouched("conv1x1 db", dbA, B_OFF, CO);
        float[] dw = Arena.slice(dwA, W_OFF, w.length), db = Arena.slice(dbA, B_OFF, CO);
        float[] out = new float[dout.length];
        GradCheck.assertDirectional("conv1x1 dx", xs -> {
            ConvKernels.conv1x1ForwardNaive(out, xs, w, b, B, CI, CO, HW);
            return GradCheck.dot(out, dout, out.length);
        }, x, dx, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("conv1x1 dw", ws -> {
            ConvKernels.conv1x1ForwardNaive(out, x, ws, b, B, CI, CO, HW);
            return GradCheck.dot(out, dout, out.length);
        }, w, dw, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("conv1x1 db", bs -> {
            ConvKernels.conv1x1ForwardNaive(out, x, w, bs, B, CI, CO, HW);
            return GradCheck.dot(out, dout, out.length);
        }, b, db, rng, 1e-2, Tol.GRAD_REL);
    }

    /**
     * Backward-input writes dx, backward-weight adds to what is there (the optimiser zeroes it), and a split range
     * gives the same result as one range.
     */
    @Test
    void backwardWritesDxAccumulatesDwAndSlicesAgree() {
        var rng = new Rng(5);
        int B = 2, CI = 3, CO = 5, H = 4, W = 3;
        float[] x = rng.normal(B * CI * H * W), w = rng.normal(CO * CI * 9), dout = rng.normal(B * CO * H * W);
        float[] wA = Arena.at(W_OFF, w);
        float[] dx1 = new float[x.length], dw1 = Arena.zerosAt(W_OFF, w.length), db1 = Arena.zerosAt(B_OFF, CO);
        ConvKernels.conv3x3BackwardInput(dx1, dout, wA, W_OFF, 0, B * CI, CI, CO, H, W);
        ConvKernels.conv3x3BackwardWeight(dw1, W_OFF, db1, B_OFF, dout, x, 0, CO * CI, B, CI, CO, H, W);
        float[] dx2 = dx1.clone(), dw2 = dw1.clone(), db2 = db1.clone();
        ConvKernels.conv3x3BackwardInput(dx2, dout, wA, W_OFF, 0, 2, CI, CO, H, W);            // two slices
        ConvKernels.conv3x3BackwardInput(dx2, dout, wA, W_OFF, 2, B * CI, CI, CO, H, W);
        ConvKernels.conv3x3BackwardWeight(dw2, W_OFF, db2, B_OFF, dout, x, 0, 7, B, CI, CO, H, W);
        ConvKernels.conv3x3BackwardWeight(dw2, W_OFF, db2, B_OFF, dout, x, 7, CO * CI, B, CI, CO, H, W);
        Arena.assertOutsideUntouched("dw", dw2, W_OFF, w.length);
        Arena.assertOutsideUntouched("db", db2, B_OFF, CO);
        for (int i = 0; i < w.length; i++) dw1[W_OFF + i] *= 2;
        for (int i = 0; i < CO; i++) db1[B_OFF + i] *= 2;
        GradCheck.assertClose("dx", dx1, dx2, dx1.length, Tol.FWD_F32);
        GradCheck.assertClose("dw", dw1, dw2, dw1.length, Tol.FWD_F32);
        GradCheck.assertClose("db", db1, db2, db1.length, Tol.FWD_F32);
    }
}
