package dip.tornado.kernels;

import dip.util.Arena;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import java.util.function.ToDoubleFunction;

import static dip.util.Arena.W_OFF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * RMSNorm and LayerNorm kernels: hand-worked cases and finite-difference checks of every backward; RMSNorm's weight
 * and its gradient at an offset into a larger array ({@link Arena}).
 */
class NormKernelsTest {

    static float[] rms(float[] x, float[] w, int R, int D, float eps) {
        float[] out = new float[R * D], rstd = new float[R];
        NormKernels.rmsNormForward(out, rstd, x, w, 0, 0, R, D, eps);
        return out;
    }

    static float[] ln(float[] x, int R, int D, float eps) {
        float[] out = new float[R * D], mean = new float[R], rstd = new float[R];
        NormKernels.layerNormForward(out, mean, rstd, x, 0, R, D, eps);
        return out;
    }

    @Test
    void rmsNormKnownCase() {
        // eps = 1. Row 0: x = [1, 2, 2], mean(x²) = 3, rsqrt(3 + 1) = 1/2 -> x/2 * w = [0.5, 2, -1].
        // Row 1: x = [2, 2, -4], mean(x²) = 8, rsqrt(9) = 1/3 -> [2/3, 4/3, 4/3].
        float[] x = {1, 2, 2, 2, 2, -4}, w = {1, 2, -1};
        float[] out = new float[6], rstd = new float[2];
        NormKernels.rmsNormForward(out, rstd, x, Arena.at(W_OFF, w), W_OFF, 0, 2, 3, 1f);
        assertArrayEquals(new float[]{0.5f, 2f, -1f, 2f / 3, 4f / 3, 4f / 3}, out, Tol.FWD_F32, "rmsNorm out");
        assertArrayEquals(new float[]{0.5f, 1f / 3}, rstd, Tol.FWD_F32, "rmsNorm rstd");
    }

    /** dx and dw against finite differences, w read at its offset and dw written at its own, nowhere else. */
    @Test
    void rmsNormBackwardWithOffsetsMatchesFiniteDifferences() {
        var rng = new Rng(1);
        int R = 5, D = 7;
        float eps = 1e-6f;
        float[] x = rng.normal(R * D), w = rng.normal(D), dout = rng.normal(R * D), wA = Arena.at(W_OFF, w);
        float[] out = new float[R * D], rstd = new float[R];
        NormKernels.rmsNormForward(out, rstd, x, wA, W_OFF, 0, R, D, eps);
        float[] dx = new float[R * D], dwA = Arena.zerosAt(W_OFF + 2, D);
        NormKernels.rmsNormBackward(dx, dout, x, wA, W_OFF, rstd, 0, R, D);
        NormKernels.rmsNormWeightBackward(dwA, W_OFF + 2, dout, x, rstd, 0, D, R, D);
        Arena.assertOutsideUntouched("rmsNorm dw", dwA, W_OFF + 2, D);
        float[] dw = Arena.slice(dwA, W_OFF + 2, D);
        ToDoubleFunction<float[]> lossX = xs -> GradCheck.dot(rms(xs, w, R, D, eps), dout, R * D);
        ToDoubleFunction<float[]> lossW = ws -> GradCheck.dot(rms(x, ws, R, D, eps), dout, R * D);
        GradCheck.assertDirectional("rmsNorm dx", lossX, x, dx, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("rmsNorm dw", lossW, w, dw, rng, 1e-2, Tol.GRAD_REL);
    }

    @Test
    void rmsNormBackwardWritesDxAndAccumulatesDw() {
        var rng = new Rng(2);
        int R = 3, D = 5;
        float[] x = rng.normal(R * D), w = rng.normal(D), dout = rng.normal(R * D);
        float[] out = new float[R * D], rstd = new float[R];
        NormKernels.rmsNormForward(out, rstd, x, w, 0, 0, R, D, 1e-6f);
        float[] dx1 = new float[R * D], dx2 = new float[R * D], dw1 = new float[D], dw2 = new float[D];
        NormKernels.rmsNormBackward(dx1, dout, x, w, 0, rstd, 0, R, D);
        NormKernels.rmsNormWeightBackward(dw1, 0, dout, x, rstd, 0, D, R, D);
        for (int i = 0; i < 2; i++) {
            NormKernels.rmsNormBackward(dx2, dout, x, w, 0, rstd, 0, R, D);
            NormKernels.rmsNormWeightBackward(dw2, 0, dout, x, rstd, 0, D, R, D);
        }
        for (int i = 0; i < D; i++) dw1[i] *= 2;
        assertArrayEquals(dx1, dx2, 0f, "dx is written, not accumulated");
        assertArrayEquals(dw1, dw2, 1e-5f, "dw accumulates");
    }

    @Test
    void layerNormKnownCase() {
        // x = [0, 3, 6]: mean 3, biased var (9 + 0 + 9)/3 = 6, eps 3 -> rstd 1/3 -> [-1, 0, 1].
        float[] x = {0, 3, 6}, out = new float[3], mean = new float[1], rstd = new float[1];
        NormKernels.layerNormForward(out, mean, rstd, x, 0, 1, 3, 3f);
        assertArrayEquals(new float[]{-1f, 0f, 1f}, out, Tol.FWD_F32, "layerNorm out");
        assertArrayEquals(new float[]{3f}, mean, Tol.FWD_F32, "layerNorm mean");
        assertArrayEquals(new float[]{1f / 3}, rstd, Tol.FWD_F32, "layerNorm rstd");
    }

    @Test
    void layerNormBackwardMatchesFiniteDifferences() {
        var rng = new Rng(3);
        int R = 3, D = 7;
        float eps = 1e-6f;
        float[] x = rng.normal(R * D), dout = rng.normal(R * D);
        float[] out = new float[R * D], mean = new float[R], rstd = new float[R];
        NormKernels.layerNormForward(out, mean, rstd, x, 0, R, D, eps);
        float[] dx = new float[R * D];
        NormKernels.layerNormBackward(dx, dout, x, mean, rstd, 0, R, D);
        GradCheck.assertDirectional("layerNorm dx", xs -> GradCheck.dot(ln(xs, R, D, eps), dout, R * D),
                x, dx, rng, 1e-2, Tol.GRAD_REL);
    }

    @Test
    void slicedRangesGiveTheSameRows() {
        var rng = new Rng(4);
        int R = 5, D = 3;
        float[] x = rng.normal(R * D), w = rng.normal(D);
        float[] whole = rms(x, w, R, D, 1e-6f);
        float[] sliced = new float[R * D], rstd = new float[R];
        NormKernels.rmsNormForward(sliced, rstd, x, w, 0, 2, R, D, 1e-6f);
        NormKernels.rmsNormForward(sliced, rstd, x, w, 0, 0, 2, D, 1e-6f);
        assertArrayEquals(whole, sliced, 0f, "rmsNorm in two slices");
    }

    // --------------------------------------------------------------------- RMSNorm fused with the modulation

    static final int MB = 2, MN = 3, MD = 5, CHUNKS = 6, SHIFT = 3, SCALE = 4;

    /** The fused pre-norm equals rmsNormForward then modulateForward, bit for bit, also computed in two slices. */
    @Test
    void rmsNormModulateForwardEqualsNormThenModulate() {
        var rng = new Rng(5);
        int R = MB * MN;
        float[] x = rng.normal(R * MD), w = Arena.at(W_OFF, rng.normal(MD)), mod = rng.normal(MB * CHUNKS * MD);
        float[] y = new float[R * MD], rstd = new float[R], h = new float[R * MD];
        NormKernels.rmsNormForward(y, rstd, x, w, W_OFF, 0, R, MD, 1e-6f);
        AdaLnKernels.modulateForward(h, y, mod, 0, R, MN, MD, CHUNKS, SHIFT, SCALE);
        float[] yF = GradCheck.nans(R * MD), rstdF = GradCheck.nans(R), hF = GradCheck.nans(R * MD);
        NormKernels.rmsNormModulateForward(hF, yF, rstdF, x, w, W_OFF, mod, 4, R, MN, MD, 1e-6f, CHUNKS, SHIFT, SCALE);
        NormKernels.rmsNormModulateForward(hF, yF, rstdF, x, w, W_OFF, mod, 0, 4, MN, MD, 1e-6f, CHUNKS, SHIFT, SCALE);
        assertArrayEquals(y, yF, 0f, "y");
        assertArrayEquals(rstd, rstdF, 0f, "rstd");
        assertArrayEquals(h, hF, 0f, "h");
    }

    /**
     * The fused backward writes dy = modulateBackwardInput's result and ADDS rmsNormBackward's dx to what dx held,
     * bit for bit; and its dx is the gradient of the fused forward (finite differences).
     */
    @Test
    void rmsNormModulateBackwardEqualsUnfusedAndMatchesFiniteDifferences() {
        var rng = new Rng(6);
        int R = MB * MN;
        float eps = 1e-6f;
        float[] x = rng.normal(R * MD), w = Arena.at(W_OFF, rng.normal(MD)), mod = rng.normal(MB * CHUNKS * MD);
        float[] dh = rng.normal(R * MD), residual = rng.normal(R * MD);
        float[] y = new float[R * MD], rstd = new float[R], h = new float[R * MD];
        NormKernels.rmsNormModulateForward(h, y, rstd, x, w, W_OFF, mod, 0, R, MN, MD, eps, CHUNKS, SHIFT, SCALE);

        float[] dy = new float[R * MD], dxNorm = new float[R * MD], dx = residual.clone();
        AdaLnKernels.modulateBackwardInput(dy, dh, mod, 0, R, MN, MD, CHUNKS, SCALE);
        NormKernels.rmsNormBackward(dxNorm, dy, x, w, W_OFF, rstd, 0, R, MD);
        for (int i = 0; i < dx.length; i++) dx[i] += dxNorm[i];
        float[] dyF = GradCheck.nans(R * MD), dxF = residual.clone();
        NormKernels.rmsNormModulateBackward(dyF, dxF, dh, mod, x, w, W_OFF, rstd, 0, R, MN, MD, CHUNKS, SCALE);
        assertArrayEquals(dy, dyF, 0f, "dy");
        assertArrayEquals(dx, dxF, 0f, "dx = residual + the norm's input gradient");

        float[] dxOnly = new float[R * MD];
        NormKernels.rmsNormModulateBackward(new float[R * MD], dxOnly, dh, mod, x, w, W_OFF, rstd, 0, R, MN, MD, CHUNKS, SCALE);
        GradCheck.assertDirectional("rmsNormModulate dx", xs -> {
            float[] hs = new float[R * MD];
            NormKernels.rmsNormModulateForward(hs, new float[R * MD], new float[R], xs, w, W_OFF, mod, 0, R, MN, MD, eps,
                    CHUNKS, SHIFT, SCALE);
            return GradCheck.dot(hs, dh, R * MD);
        }, x, dxOnly, rng, 1e-2, Tol.GRAD_REL);
    }
}
