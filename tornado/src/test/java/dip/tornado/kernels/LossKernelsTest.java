package dip.tornado.kernels;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** MSE partial sums and gradient. */
class LossKernelsTest {

    @Test
    void knownCase() {
        // B = 2, per = 3: errors [1, -2, 0] and [0.5, 0.5, 3] -> row sums 5 and 9.5; mean = 14.5 / 6.
        float[] pred = {1, 0, 2, 1, 1, 4}, target = {0, 2, 2, 0.5f, 0.5f, 1};
        float[] rowSum = new float[2];
        LossKernels.mseRowSums(rowSum, pred, target, 0, 2, 3);
        assertArrayEquals(new float[]{5f, 9.5f}, rowSum, 0f);
        float[] dpred = new float[6];
        LossKernels.mseBackward(dpred, pred, target, 0, 6, 2f / 6);       // 2·err / n
        assertArrayEquals(new float[]{1f / 3, -2f / 3, 0, 1f / 6, 1f / 6, 1f}, dpred, Tol.FWD_F32);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        var rng = new Rng(41);
        int B = 3, per = 7, n = B * per;
        float[] pred = rng.normal(n), target = rng.normal(n), dpred = GradCheck.nans(n);     // written whole
        LossKernels.mseBackward(dpred, pred, target, 0, n, 2f / n);
        GradCheck.assertDirectional("pred", ps -> {
            float[] rowSum = new float[B];
            LossKernels.mseRowSums(rowSum, ps, target, 0, B, per);
            double s = 0;
            for (float r : rowSum) s += r;
            return s / n;
        }, pred, dpred, rng, 1e-2, Tol.GRAD_REL);
    }
}
