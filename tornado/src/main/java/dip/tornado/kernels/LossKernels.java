package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Mean squared error, torch.nn.functional.mse_loss with reduction "mean" (mean over all B·per elements).
 * The kernel gives one partial sum per sample; the host adds the B numbers (in double) and divides by B·per,
 * so no iteration ever reduces across others.
 */
public final class LossKernels {
    private LossKernels() {
    }

    /** rowSum[b] = Σ_j (pred[b, j] − target[b, j])², written for b in [r0, r1). pred, target: (B, per). */
    public static void mseRowSums(float[] rowSum, float[] pred, float[] target, int r0, int r1, int per) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int row = r * per;
            float acc = 0f;
            for (int j = 0; j < per; j++) {
                float e = pred[row + j] - target[row + j];
                acc += e * e;
            }
            rowSum[r] = acc;
        }
    }

    /**
     * Writes dpred[i] = scale·(pred[i] − target[i]) for i in [i0, i1), with scale = 2/n (n = B·per) for
     * dL/dpred of the mean (times the upstream gradient, if any). Forward was: L = (1/n)·Σ (pred − target)².
     */
    public static void mseBackward(float[] dpred, float[] pred, float[] target, int i0, int i1, float scale) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            dpred[i] = scale * (pred[i] - target[i]);
        }
    }
}
