package dip.tornado.kernels;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Elementwise kernels: hand-worked cases, the broadcast add's gradient, and slicing through the CPU engine. */
class ElementwiseKernelsTest {

    @Test
    void addAddInPlaceCopyScaleKnownCase() {
        float[] a = {1, 2, -3}, b = {0.5f, -2, 4}, out = new float[3];
        ElementwiseKernels.add(out, a, b, 0, 3);
        assertArrayEquals(new float[]{1.5f, 0, 1}, out, 0f);
        ElementwiseKernels.addInPlace(out, a, 1, 3);                 // only [1, 3): index 0 stays
        assertArrayEquals(new float[]{1.5f, 2, -2}, out, 0f);
        ElementwiseKernels.scale(out, out, -2f, 0, 3);
        assertArrayEquals(new float[]{-3, -4, 4}, out, 0f);
        ElementwiseKernels.copy(out, b, 0, 2);
        assertArrayEquals(new float[]{0.5f, -2, 4}, out, 0f);
    }

    @Test
    void addRowBroadcastKnownCase() {
        // B = 2, N = 2, D = 2: rows 0,1 belong to sample 0 (v = [10, 20]), rows 2,3 to sample 1 (v = [-1, -2]).
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8}, v = {10, 20, -1, -2}, out = new float[8];
        ElementwiseKernels.addRowBroadcast(out, x, v, 0, 4, 2, 2);
        assertArrayEquals(new float[]{11, 22, 13, 24, 4, 4, 6, 6}, out, 0f);
        // dv[b, d] = Σ_n dout[b·N + n, d]: with dout = x: dv = [1+3, 2+4, 5+7, 6+8].
        float[] dv = {1, 1, 1, 1};
        ElementwiseKernels.addRowBroadcastBackwardVec(dv, x, 0, 4, 2, 2);
        assertArrayEquals(new float[]{5, 7, 13, 15}, dv, 0f);         // accumulated onto the ones
    }

    @Test
    void addRowBroadcastBackwardMatchesFiniteDifferences() {
        var rng = new Rng(7);
        int B = 3, N = 5, D = 7;
        float[] x = rng.normal(B * N * D), v = rng.normal(B * D), dout = rng.normal(B * N * D);
        float[] dv = new float[B * D];
        ElementwiseKernels.addRowBroadcastBackwardVec(dv, dout, 0, B * D, N, D);
        GradCheck.assertDirectional("v", vs -> {
            float[] out = new float[B * N * D];
            ElementwiseKernels.addRowBroadcast(out, x, vs, 0, B * N, N, D);
            return GradCheck.dot(out, dout, out.length);
        }, v, dv, rng, 1e-2, Tol.GRAD_REL);
    }

    @Test
    void slicedRunsThroughTheEngineMatchOneRange() {
        var rng = new Rng(3);
        int B = 3, N = 5, D = 7;
        float[] x = rng.normal(B * N * D), v = rng.normal(B * D);
        float[] whole = new float[B * N * D], sliced = new float[B * N * D];
        float[] dvWhole = new float[B * D], dvSliced = new float[B * D];
        ElementwiseKernels.addRowBroadcast(whole, x, v, 0, B * N, N, D);
        ElementwiseKernels.addRowBroadcastBackwardVec(dvWhole, x, 0, B * D, N, D);
        try (var engine = new JavaEngine(3)) {
            engine.parallelFor(B * N, (lo, hi) -> ElementwiseKernels.addRowBroadcast(sliced, x, v, lo, hi, N, D));
            engine.parallelFor(B * D, (lo, hi) -> ElementwiseKernels.addRowBroadcastBackwardVec(dvSliced, x, lo, hi, N, D));
        }
        assertArrayEquals(whole, sliced, 0f);
        assertArrayEquals(dvWhole, dvSliced, 0f);
    }
}
