package dip.tornado.exec;

import dip.tornado.kernels.AttentionKernels;
import dip.tornado.kernels.AttentionSteps;
import dip.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dip.tornado.exec.VectorMatmulTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link VectorAttention} (called directly, so also below JavaEngine's N threshold) and the engine's
 * attentionForward/attentionBackward against the scalar {@link AttentionKernels}: heads BH ∈ {1, 3},
 * tokens N ∈ {1, 5, 33, 64}, head sizes HS ∈ {4, 8, 72}; forward over garbage in out/att, backward over garbage
 * in dq, dk, dv and dpre (all written). Then 1 vs 2 threads bit for bit (heads are split
 * whole, so each head's arithmetic does not depend on the thread count).
 */
class VectorAttentionTest {
    static final int[] BHS = {1, 3}, NS = {1, 5, 33, 64}, HSS = {4, 8, 72};
    static JavaEngine one, two;

    @BeforeAll static void engines() { one = new JavaEngine(1); two = new JavaEngine(2); }

    @AfterAll static void close() { one.close(); two.close(); }

    /** Which path computes the "got" side. */
    enum Path { DIRECT, ENGINE }

    /** Runs forward + backward on path (engine e) and on the scalar kernels, compares; returns the fast results. */
    static float[][] check(Path path, JavaEngine e, int BH, int N, int HS, long seed) {
        var rng = new Rng(seed);
        String tag = path + " BH=" + BH + " N=" + N + " HS=" + HS;
        int rows = BH * N;
        float scale = (float) (1.0 / Math.sqrt(HS));
        float[] q = rng.normal(rows * HS), k = rng.normal(rows * HS), v = rng.normal(rows * HS), dout = rng.normal(rows * HS);
        float[] wantOut = new float[rows * HS], gotOut = rng.normal(rows * HS);
        float[] wantAtt = new float[rows * N], gotAtt = rng.normal(rows * N);
        AttentionSteps.forward(wantOut, wantAtt, q, k, v, rows, N, HS, scale);
        if (path == Path.DIRECT) VectorAttention.forward(e, gotOut, gotAtt, q, k, v, BH, N, HS, scale);
        else e.attentionForward(gotOut, gotAtt, q, k, v, BH, N, HS, scale);
        assertClose(tag + " out", wantOut, gotOut, wantOut.length);
        assertClose(tag + " att", wantAtt, gotAtt, wantAtt.length);

        float[] wantDq = rng.normal(rows * HS), gotDq = wantDq.clone();
        float[] wantDk = rng.normal(rows * HS), gotDk = wantDk.clone();
        float[] wantDv = rng.normal(rows * HS), gotDv = wantDv.clone();
        float[] wantDpre = new float[rows * N], gotDpre = rng.normal(rows * N);
        AttentionSteps.backward(wantDq, wantDk, wantDv, wantDpre, dout, q, k, v, wantAtt, rows, N, HS, scale);
        if (path == Path.DIRECT) VectorAttention.backward(e, gotDq, gotDk, gotDv, gotDpre, dout, q, k, v, wantAtt, BH, N, HS, scale);
        else e.attentionBackward(gotDq, gotDk, gotDv, gotDpre, dout, q, k, v, wantAtt, BH, N, HS, scale);
        assertClose(tag + " dpre", wantDpre, gotDpre, wantDpre.length);
        assertClose(tag + " dq", wantDq, gotDq, wantDq.length);
        assertClose(tag + " dk", wantDk, gotDk, wantDk.length);
        assertClose(tag + " dv", wantDv, gotDv, wantDv.length);
        return new float[][]{gotOut, gotAtt, gotDpre, gotDq, gotDk, gotDv};
    }

    @Test
    void directMatchesScalarKernels() {
        assertTrue(one.vectorized(), "tests must run with --add-modules jdk.incubator.vector");
        long seed = 1;
        for (int BH : BHS) for (int N : NS) for (int HS : HSS) check(Path.DIRECT, two, BH, N, HS, seed++);
    }

    @Test
    void engineMatchesScalarKernels() {
        long seed = 100;
        for (int BH : BHS) for (int N : NS) for (int HS : HSS) check(Path.ENGINE, two, BH, N, HS, seed++);
    }

    @Test
    void oneAndTwoThreadsAgreeBitForBit() {
        for (int BH : BHS) for (int N : new int[]{33, 64}) {
            float[][] a = check(Path.ENGINE, one, BH, N, 72, 7), b = check(Path.ENGINE, two, BH, N, 72, 7);
            for (int t = 0; t < a.length; t++) assertArrayEquals(a[t], b[t], "BH=" + BH + " N=" + N + " array " + t);
        }
    }

    @Test
    void engineTakesTheFastPathAtN64() {
        // Guards against the test comparing the scalar kernels with themselves: at N = 64 the engine must run
        // VectorAttention, whose results equal the direct call's bit for bit.
        float[][] viaEngine = check(Path.ENGINE, two, 3, 64, 72, 11), direct = check(Path.DIRECT, two, 3, 64, 72, 11);
        for (int t = 0; t < viaEngine.length; t++) assertArrayEquals(direct[t], viaEngine[t], "array " + t);
    }
}
