package dip.tornado.exec;

import dip.tornado.kernels.MatmulKernels;
import dip.util.Arena;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dip.util.Arena.B_OFF;
import static dip.util.Arena.W_OFF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every Vector API path of {@link VectorMatmul} against the scalar {@link MatmulKernels} on odd shapes (tails in
 * rows, columns, vectors, KC- and MC-blocks), with bias and with non-zero accumulators; then thread-count
 * independence (bitwise: the summation order does not depend on the split). The fast paths read W and b at
 * offsets into larger NaN-padded arrays and write dW, db at offsets into larger arrays ({@link Arena}), as the
 * model's flat parameter array holds them; the references take them as arrays of their own.
 */
class VectorMatmulTest {
    static final int[] SIZES = {1, 2, 3, 4, 17, 33, 65};
    static JavaEngine one, two;

    @BeforeAll static void engines() { one = new JavaEngine(1); two = new JavaEngine(2); }

    @AfterAll static void close() { one.close(); two.close(); }

    interface Fwd {
        void run(VectorMatmul vm, Engine e, float[] out, float[] x, float[] w, int wOff, float[] b, int bOff, int R, int IN, int OUT);
    }

    interface Bin { void run(VectorMatmul vm, Engine e, float[] dx, float[] dout, float[] w, int wOff, int R, int IN, int OUT); }

    /** |got − want| ≤ tol·max(1, max|want|), naming the index and both values. */
    static void assertClose(String what, float[] want, float[] got, int n) {
        float scale = 1f;
        for (int i = 0; i < n; i++) scale = Math.max(scale, Math.abs(want[i]));
        for (int i = 0; i < n; i++) {
            if (!(Math.abs(want[i] - got[i]) <= Tol.FAST_VS_NAIVE * scale)) {
                throw new AssertionError(what + "[" + i + "]: want " + want[i] + ", got " + got[i]);
            }
        }
    }

    static void checkForward(Fwd path, String name, Engine e, int R, int IN, int OUT, Rng rng) {
        float[] x = rng.normal(R * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT);
        float[] want = new float[R * OUT], got = rng.normal(R * OUT);     // garbage in out: forward overwrites
        MatmulKernels.matmulForwardNaive(want, x, w, b, R, IN, OUT);
        path.run(new VectorMatmul(), e, got, x, Arena.at(W_OFF, w), W_OFF, Arena.at(B_OFF, b), B_OFF, R, IN, OUT);
        assertClose(name + " R=" + R + " IN=" + IN + " OUT=" + OUT + " out", want, got, R * OUT);
    }

    static void checkBackwardInput(Bin path, String name, Engine e, int R, int IN, int OUT, Rng rng) {
        float[] dout = rng.normal(R * OUT), w = rng.normal(OUT * IN);
        float[] want = rng.normal(R * IN), got = want.clone();           // garbage: dx is written
        MatmulKernels.matmulBackwardInput(want, dout, w, 0, 0, R, IN, OUT);
        path.run(new VectorMatmul(), e, got, dout, Arena.at(W_OFF, w), W_OFF, R, IN, OUT);
        assertClose(name + " R=" + R + " IN=" + IN + " OUT=" + OUT + " dx", want, got, R * IN);
    }

    static void checkBackwardWeight(Engine e, int R, int IN, int OUT, Rng rng) {
        float[] dout = rng.normal(R * OUT), x = rng.normal(R * IN);
        float[] wantW = rng.normal(OUT * IN), wantB = rng.normal(OUT);
        float[] gotW = Arena.at(W_OFF, wantW, Arena.SENTINEL), gotB = Arena.at(B_OFF, wantB, Arena.SENTINEL);
        MatmulKernels.matmulBackwardWeight(wantW, 0, wantB, 0, dout, x, 0, OUT, R, IN, OUT);
        new VectorMatmul().backwardWeight(e, gotW, W_OFF, gotB, B_OFF, dout, x, R, IN, OUT);
        String at = " R=" + R + " IN=" + IN + " OUT=" + OUT;
        assertClose("backwardWeight" + at + " dW", wantW, Arena.slice(gotW, W_OFF, OUT * IN), OUT * IN);
        assertClose("backwardWeight" + at + " db", wantB, Arena.slice(gotB, B_OFF, OUT), OUT);
        Arena.assertOutsideUntouched("backwardWeight" + at + " dW", gotW, W_OFF, OUT * IN);
        Arena.assertOutsideUntouched("backwardWeight" + at + " db", gotB, B_OFF, OUT);
    }

    @Test void handWorkedForwardWithBias() {
        // x = [[1, 2]], W = [[1, 0], [0, 1], [1, 1]], b = [10, 20, 30]  ->  out = [1+10, 2+20, 3+30]
        float[] out = new float[3];
        new VectorMatmul().forwardGemm(one, out, new float[]{1, 2}, new float[]{1, 0, 0, 1, 1, 1}, 0, new float[]{10, 20, 30}, 0, 1, 2, 3);
        assertArrayEquals(new float[]{11, 22, 33}, out, Tol.FWD_F32);
        new VectorMatmul().forwardGemv(one, out, new float[]{1, 2}, new float[]{1, 0, 0, 1, 1, 1}, 0, new float[]{10, 20, 30}, 0, 1, 2, 3);
        assertArrayEquals(new float[]{11, 22, 33}, out, Tol.FWD_F32);
    }

    @Test void everyPathMatchesScalarOnOddShapes() {
        var rng = new Rng(7);
        for (int R : SIZES) for (int IN : SIZES) for (int OUT : SIZES) {
            checkForward(VectorMatmul::forwardGemm, "forwardGemm", two, R, IN, OUT, rng);
            checkForward(VectorMatmul::forwardGemv, "forwardGemv", two, R, IN, OUT, rng);
            checkBackwardInput(VectorMatmul::backwardInputGemm, "backwardInputGemm", two, R, IN, OUT, rng);
            checkBackwardInput(VectorMatmul::backwardInputAxpy, "backwardInputAxpy", two, R, IN, OUT, rng);
            checkBackwardWeight(two, R, IN, OUT, rng);
        }
    }

    @Test void pathsMatchAcrossCacheBlocks() {
        // R > MC, K > KC (and not a multiple), N not a multiple of NR: every block boundary and tail at once.
        var rng = new Rng(8);
        int R = VectorMatmul.MC + 7, IN = VectorMatmul.KC + 37, OUT = VectorMatmul.NR * 2 + 5;
        checkForward(VectorMatmul::forwardGemm, "forwardGemm", two, R, IN, OUT, rng);
        checkBackwardInput(VectorMatmul::backwardInputGemm, "backwardInputGemm", two, R, OUT, IN, rng);
        checkBackwardWeight(two, R, IN, OUT, rng);
        checkBackwardWeight(two, OUT, R, IN, rng);
    }

    @Test void columnSplitMatchesScalarAcrossPanelBlocks() {
        // Enough panels for the column split on 2 threads, more than NCP per thread, plus tails everywhere.
        var rng = new Rng(11);
        int R = VectorMatmul.MC + 5, IN = VectorMatmul.KC + 37, OUT = VectorMatmul.NR * (2 * VectorMatmul.NCP + 3) + 7;
        assertTrue(VectorMatmul.splitColumns((OUT + VectorMatmul.NR - 1) / VectorMatmul.NR, 2));
        checkForward(VectorMatmul::forwardGemm, "forwardGemm/columns", two, R, IN, OUT, rng);
        checkBackwardInput(VectorMatmul::backwardInputGemm, "backwardInputGemm/columns", two, R, OUT, IN, rng);
        checkBackwardInput(VectorMatmul::backwardInputGemm, "backwardInputGemm/columns", one, 7, OUT, 5, rng);
    }

    @Test void engineDispatchMatchesScalar() {
        var rng = new Rng(9);
        int[][] shapes = {{3, 5, 7}, {5, 64, 96}, {40, 64, 96}, {70, 33, 129}};
        for (int[] s : shapes) {
            int R = s[0], IN = s[1], OUT = s[2];
            checkForward((vm, e, out, x, w, wOff, b, bOff, r, in, o) -> e.matmulForward(out, x, w, wOff, b, bOff, r, in, o),
                    "engine", two, R, IN, OUT, rng);
            checkBackwardInput((vm, e, dx, dout, w, wOff, r, in, o) -> e.matmulBackwardInput(dx, dout, w, wOff, r, in, o),
                    "engine", two, R, IN, OUT, rng);
            float[] dout = rng.normal(R * OUT), x = rng.normal(R * IN);       // and the weight gradient, at offsets
            float[] want = new float[OUT * IN], wantB = new float[OUT];
            float[] got = Arena.zerosAt(W_OFF, OUT * IN), gotB = Arena.zerosAt(B_OFF, OUT);
            MatmulKernels.matmulBackwardWeight(want, 0, wantB, 0, dout, x, 0, OUT, R, IN, OUT);
            two.matmulBackwardWeight(got, W_OFF, gotB, B_OFF, dout, x, R, IN, OUT);
            assertClose("engine backwardWeight dW", want, Arena.slice(got, W_OFF, OUT * IN), OUT * IN);
            assertClose("engine backwardWeight db", wantB, Arena.slice(gotB, B_OFF, OUT), OUT);
            Arena.assertOutsideUntouched("engine backwardWeight dW", got, W_OFF, OUT * IN);
            Arena.assertOutsideUntouched("engine backwardWeight db", gotB, B_OFF, OUT);
        }
    }

    @Test void oneAndTwoThreadsGiveIdenticalBits() {
        var rng = new Rng(10);
        // R = 5: gemv/axpy; R = 70: one thread splits columns, two threads split rows (5 panels); the bits agree.
        for (int R : new int[]{5, 70}) {
            int IN = 67, OUT = 131;
            float[] x = rng.normal(R * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT), dout = rng.normal(R * OUT);
            float[] out1 = new float[R * OUT], out2 = new float[R * OUT];
            float[] dx1 = new float[R * IN], dx2 = new float[R * IN];
            float[] dw1 = new float[OUT * IN], dw2 = new float[OUT * IN], db1 = new float[OUT], db2 = new float[OUT];
            one.matmulForward(out1, x, w, 0, b, 0, R, IN, OUT);
            two.matmulForward(out2, x, w, 0, b, 0, R, IN, OUT);
            one.matmulBackwardInput(dx1, dout, w, 0, R, IN, OUT);
            two.matmulBackwardInput(dx2, dout, w, 0, R, IN, OUT);
            one.matmulBackwardWeight(dw1, 0, db1, 0, dout, x, R, IN, OUT);
            two.matmulBackwardWeight(dw2, 0, db2, 0, dout, x, R, IN, OUT);
            assertArrayEquals(out1, out2, 0f, "forward R=" + R);
            assertArrayEquals(dx1, dx2, 0f, "backwardInput R=" + R);
            assertArrayEquals(dw1, dw2, 0f, "backwardWeight dW R=" + R);
            assertArrayEquals(db1, db2, 0f, "backwardWeight db R=" + R);
        }
    }

    /**
     * gemv's bits are pinned to one summation order, written out here in scalar Java: per lane an FMA chain over
     * the full vectors, the lanes folded pairwise (halves onto each other), then the tail by Math.fma, then the bias.
     * A lane reduction whose order is left to the JIT (reduceLanes) would give other bits for some of these sums.
     */
    @Test void gemvSumsInTheDocumentedOrder() {
        var rng = new Rng(12);
        int L = VectorMatmul.L, R = 3, IN = 5 * L + 3, OUT = 9, iv = IN - IN % L;
        float[] x = rng.normal(R * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT);
        for (int i = 0; i < x.length; i++) x[i] *= (float) Math.pow(2, i % 13);   // wide range: order matters
        float[] got = new float[R * OUT];
        new VectorMatmul().forwardGemv(one, got, x, w, 0, b, 0, R, IN, OUT);
        for (int r = 0; r < R; r++) {
            for (int o = 0; o < OUT; o++) {
                float[] lane = new float[L];
                for (int i = 0; i < iv; i++) lane[i % L] = Math.fma(x[r * IN + i], w[o * IN + i], lane[i % L]);
                for (int h = L / 2; h > 0; h /= 2) for (int l = 0; l < h; l++) lane[l] += lane[l + h];
                float acc = lane[0];
                for (int i = iv; i < IN; i++) acc = Math.fma(x[r * IN + i], w[o * IN + i], acc);
                assertEquals(Float.floatToRawIntBits(b[o] + acc), Float.floatToRawIntBits(got[r * OUT + o]),
                        "out[" + r + ", " + o + "]");
            }
        }
    }

    @Test void sumLanesFoldsHalves() {
        int L = VectorMatmul.L;
        float[] t = new float[L];
        t[0] = 1e8f;
        t[L / 2] = -1e8f;
        t[1] = 1f;                      // folded (1e8 − 1e8) + … keeps the 1; left to right, 1e8 + 1 would lose it
        assertEquals(1f, VectorMatmul.sumLanes(t));
    }

    @Test void bigShapesTakeTheFastPath() {
        assertTrue(JavaEngine.useFast(256, 1152, 3456));
        assertEquals(false, JavaEngine.useFast(2, 3, 4));
    }
}
