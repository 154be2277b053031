package dip.tornado.kernels;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** 2D RoPE: positions, tables worked by hand (x = column, y = row; angles interleaved), rotations, backward. */
class RopeKernelsTest {

    static float[][] tables(int grid, int HS) {
        int N = grid * grid;
        float[] cos = new float[N * HS / 2], sin = new float[N * HS / 2];
        RopeKernels.ropeTables(cos, sin, 0, N, grid, HS);
        return new float[][]{cos, sin};
    }

    @Test
    void positionsAreLinspaceZeroToSixteen() {
        assertEquals(0f, RopeKernels.linspacePosition(0, 1));
        float[] g5 = new float[5];
        for (int i = 0; i < 5; i++) g5[i] = RopeKernels.linspacePosition(i, 5);
        assertArrayEquals(new float[]{0, 4, 8, 12, 16}, g5, 0f, "linspace(0, 16, 5)");
        assertEquals(16f / 3, RopeKernels.linspacePosition(1, 4), 1e-6f);
        assertEquals(16f, RopeKernels.linspacePosition(3, 4), 0f);
    }

    @Test
    void tablesWorkedByHand() {
        // grid 3 -> positions 0, 8, 16. HS = 8 -> f0 = 1, f1 = 1/10000^(4/8) = 0.01. Angles [x f0, y f0, x f1, y f1].
        float[][] t = tables(3, 8);
        float[] cos = t[0], sin = t[1];
        // Token 0 (row 0, col 0): every angle 0.
        for (int j = 0; j < 4; j++) { assertEquals(1f, cos[j], 0f); assertEquals(0f, sin[j], 0f); }
        // Token 1 (row 0, col 1): x = 8, y = 0 -> angles [8, 0, 0.08, 0].
        float[] ang1 = {8f, 0f, 0.08f, 0f};
        // Token 3 (row 1, col 0): x = 0, y = 8 -> angles [0, 8, 0, 0.08].
        float[] ang3 = {0f, 8f, 0f, 0.08f};
        // Token 8 (row 2, col 2): x = y = 16 -> angles [16, 16, 0.16, 0.16].
        float[] ang8 = {16f, 16f, 0.16f, 0.16f};
        for (int j = 0; j < 4; j++) {
            assertEquals((float) Math.cos(ang1[j]), cos[4 + j], 1e-6f, "cos token 1 angle " + j);
            assertEquals((float) Math.sin(ang1[j]), sin[4 + j], 1e-6f, "sin token 1 angle " + j);
            assertEquals((float) Math.cos(ang3[j]), cos[12 + j], 1e-6f, "cos token 3 angle " + j);
            assertEquals((float) Math.sin(ang3[j]), sin[12 + j], 1e-6f, "sin token 3 angle " + j);
            assertEquals((float) Math.cos(ang8[j]), cos[32 + j], 1e-6f, "cos token 8 angle " + j);
            assertEquals((float) Math.sin(ang8[j]), sin[32 + j], 1e-6f, "sin token 8 angle " + j);
        }
    }

    @Test
    void positionZeroIsTheIdentity() {
        float[][] t = tables(2, 4);
        float[] x = {1, 2, 3, 4}, out = new float[4];
        RopeKernels.ropeForward(out, x, t[0], t[1], 0, 1, 4, 4);      // row 0 = token 0
        assertArrayEquals(x, out, 0f, "token 0 unrotated");
    }

    @Test
    void ninetyDegreesMapsPairToMinusImRe() {
        // cos = 0, sin = 1 on both angles: (a, b) -> (a·0 − b, a + b·0) = (−b, a).
        float[] cos = {0, 0}, sin = {1, 1}, x = {1, 2, 3, 4}, out = new float[4];
        RopeKernels.ropeForward(out, x, cos, sin, 0, 1, 1, 4);
        assertArrayEquals(new float[]{-2, 1, -4, 3}, out, 0f, "90° rotation");
    }

    @Test
    void builtTableRotatesFirstPairByColumnPosition() {
        // grid 2 -> positions 0, 16. Token 1 = (row 0, col 1): x = 16, y = 0; HS = 4 -> f0 = 1 only,
        // angles [16, 0]. (1, 0, 1, 0) -> (cos16, sin16, 1, 0); the y pair is untouched.
        float[][] t = tables(2, 4);
        float[] x = {0, 0, 0, 0, 1, 0, 1, 0}, out = new float[8];
        RopeKernels.ropeForward(out, x, t[0], t[1], 0, 2, 4, 4);      // rows 0, 1 = tokens 0, 1
        assertArrayEquals(new float[]{(float) Math.cos(16), (float) Math.sin(16), 1, 0}, 
                java.util.Arrays.copyOfRange(out, 4, 8), 1e-6f, "token 1");
        // Token 2 = (row 1, col 0): y = 16 rotates the second pair.
        float[] y = {1, 0, 1, 0}, outY = new float[4];
        float[] cos2 = java.util.Arrays.copyOfRange(t[0], 4, 6), sin2 = java.util.Arrays.copyOfRange(t[1], 4, 6);
        RopeKernels.ropeForward(outY, y, cos2, sin2, 0, 1, 1, 4);
        assertArrayEquals(new float[]{1, 0, (float) Math.cos(16), (float) Math.sin(16)}, outY, 1e-6f, "token 2");
    }

    @Test
    void forwardMayAliasAndKeepsNorms() {
        var rng = new Rng(5);
        int N = 9, HS = 8, R = 2 * 3 * N;
        float[][] t = tables(3, HS);
        float[] x = rng.normal(R * HS), out = new float[R * HS], inPlace = x.clone();
        RopeKernels.ropeForward(out, x, t[0], t[1], 0, R, N, HS);
        RopeKernels.ropeForward(inPlace, inPlace, t[0], t[1], 0, R, N, HS);
        assertArrayEquals(out, inPlace, 0f, "in place");
        for (int r = 0; r < R; r++) {
            double a = 0, b = 0;
            for (int d = 0; d < HS; d++) { a += x[r * HS + d] * x[r * HS + d]; b += out[r * HS + d] * out[r * HS + d]; }
            assertEquals(a, b, 1e-4 * (1 + a), "norm of row " + r);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        var rng = new Rng(6);
        int grid = 3, N = grid * grid, HS = 8, R = 2 * 3 * N;            // B = 2, NH = 3
        float[][] t = tables(grid, HS);
        float[] x = rng.normal(R * HS), dout = rng.normal(R * HS), dx = new float[R * HS];
        RopeKernels.ropeBackward(dx, dout, t[0], t[1], 0, R, N, HS);
        GradCheck.assertDirectional("rope dx", xs -> {
            float[] out = new float[R * HS];
            RopeKernels.ropeForward(out, xs, t[0], t[1], 0, R, N, HS);
            return GradCheck.dot(out, dout, R * HS);
        }, x, dx, rng, 1e-2, Tol.GRAD_REL);
        // Backward of the forward is the identity (rotations are orthogonal).
        float[] y = new float[R * HS], back = new float[R * HS];
        RopeKernels.ropeForward(y, x, t[0], t[1], 0, R, N, HS);
        RopeKernels.ropeBackward(back, y, t[0], t[1], 0, R, N, HS);
        assertArrayEquals(x, back, 1e-5f, "inverse rotation");
    }
}
