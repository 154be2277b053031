package dip.tornado.kernels;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Channel concat and broadcast concat: known cases and finite-difference checks of the split backward. */
class ChannelKernelsTest {

    @Test
    void concatKnownCase() {
        // B = 2, HW = 2; a: CA = 1 channel [a0 | a1], b: CB = 2 channels; out per image = [a plane, b planes].
        float[] a = {1, 2, 3, 4}, b = {10, 11, 12, 13, 20, 21, 22, 23};
        float[] out = new float[12];
        ChannelKernels.concatForward(out, a, b, 0, 6, 1, 2, 2);
        assertArrayEquals(new float[]{1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23}, out, 0f);
    }

    @Test
    void broadcastConcatKnownCase() {
        // B = 2, CA = 1, D = 2, HW = 3: each image gets its a plane, then v[img, 0] and v[img, 1] repeated 3 times.
        float[] a = {1, 2, 3, 4, 5, 6}, v = {7, 8, 9, 10};
        float[] out = new float[18];
        ChannelKernels.broadcastConcatForward(out, a, v, 0, 6, 1, 2, 3);
        assertArrayEquals(new float[]{1, 2, 3, 7, 7, 7, 8, 8, 8, 4, 5, 6, 9, 9, 9, 10, 10, 10}, out, 0f);
    }

    @Test
    void concatBackwardMatchesFiniteDifferences() {
        var rng = new Rng(31);
        int B = 2, CA = 3, CB = 5, HW = 7, n = B * (CA + CB);
        float[] a = rng.normal(B * CA * HW), b = rng.normal(B * CB * HW), dout = rng.normal(n * HW);
        float[] da = GradCheck.nans(a.length), db = GradCheck.nans(b.length), out = new float[n * HW];  // written
        ChannelKernels.concatBackward(da, db, dout, 0, n, CA, CB, HW);
        GradCheck.assertDirectional("concat da", as -> {
            ChannelKernels.concatForward(out, as, b, 0, n, CA, CB, HW);
            return GradCheck.dot(out, dout, out.length);
        }, a, da, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("concat db", bs -> {
            ChannelKernels.concatForward(out, a, bs, 0, n, CA, CB, HW);
            return GradCheck.dot(out, dout, out.length);
        }, b, db, rng, 1e-2, Tol.GRAD_REL);
    }

    @Test
    void broadcastConcatBackwardMatchesFiniteDifferences() {
        var rng = new Rng(32);
        int B = 3, CA = 5, D = 3, HW = 4, n = B * (CA + D);
        float[] a = rng.normal(B * CA * HW), v = rng.normal(B * D), dout = rng.normal(n * HW);
        float[] da = GradCheck.nans(a.length), dv = GradCheck.nans(v.length), out = new float[n * HW];  // written
        ChannelKernels.broadcastConcatBackward(da, dv, dout, 0, n, CA, D, HW);
        GradCheck.assertDirectional("bcat da", as -> {
            ChannelKernels.broadcastConcatForward(out, as, v, 0, n, CA, D, HW);
            return GradCheck.dot(out, dout, out.length);
        }, a, da, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("bcat dv", vs -> {
            ChannelKernels.broadcastConcatForward(out, a, vs, 0, n, CA, D, HW);
            return GradCheck.dot(out, dout, out.length);
        }, v, dv, rng, 1e-2, Tol.GRAD_REL);
    }
}
