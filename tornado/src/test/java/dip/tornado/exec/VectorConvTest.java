package dip.tornado.exec;

import dip.tornado.kernels.ConvKernels;
import dip.tornado.kernels.ConvTransposeKernels;
import dip.util.Arena;
import dip.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dip.tornado.exec.VectorMatmulTest.assertClose;
import static dip.util.Arena.B_OFF;
import static dip.util.Arena.W_OFF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Every {@link VectorConv} path against the scalar {@link ConvKernels}/{@link ConvTransposeKernels} on odd shapes
 * (channels 1, 3, 5, 16, 33: tails in MR rows, NR panels and KC blocks; planes 1×1 to 16×16; batches 1..7 and one
 * that spans several chunks), forward over garbage in out and backward-input over garbage in dx (both written),
 * backward-weight onto non-zero dW, db (they accumulate);
 * then 1 vs 2 (and 3) threads, bit for bit. The fast paths read w and bias at offsets into larger NaN-padded arrays
 * and write dW, db at offsets into larger arrays, leaving the rest alone ({@link Arena}).
 */
class VectorConvTest {
    static final int[] CH = {1, 3, 5, 16, 33};
    static final int[] SIDE = {1, 2, 4, 8, 16};
    static JavaEngine one, two, three;

    @BeforeAll static void engines() { one = new JavaEngine(1); two = new JavaEngine(2); three = new JavaEngine(3); }

    @AfterAll static void close() { one.close(); two.close(); three.close(); }

    /** The three products of one layer type, run either by the fast path or by the scalar kernels. */
    enum Op { CONV3, CONV1, CONVT }

    /** Runs fwd, bwd-input and bwd-weight fast (on e) and scalar, and compares; returns the fast results for thread checks. */
    static float[][] check(Op op, Engine e, int B, int CI, int CO, int H, int W, long seed) {
        var rng = new Rng(seed);
        int HW = H * W, T = op == Op.CONV3 ? 9 : op == Op.CONV1 ? 1 : 4;
        int outHW = op == Op.CONVT ? 4 * HW : HW;
        String tag = op + " B=" + B + " CI=" + CI + " CO=" + CO + " " + H + "x" + W;
        float[] x = rng.normal(B * CI * HW), w = rng.normal(CO * CI * T), bias = rng.normal(CO), dout = rng.normal(B * CO * outHW);
        float[] wantOut = new float[B * CO * outHW], gotOut = rng.normal(B * CO * outHW);
        float[] wantDx = rng.normal(B * CI * HW), gotDx = wantDx.clone();
        float[] wantDw = rng.normal(CO * CI * T), wantDb = rng.normal(CO);
        float[] gotDw = Arena.at(W_OFF, wantDw, Arena.SENTINEL), gotDb = Arena.at(B_OFF, wantDb, Arena.SENTINEL);
        float[] wA = Arena.at(W_OFF, w), bA = Arena.at(B_OFF, bias);
        var vc = new VectorConv();
        switch (op) {
            case CONV3 -> {
                ConvKernels.conv3x3Forward(wantOut, x, w, 0, bias, 0, 0, B * CO, CI, CO, H, W);
                ConvKernels.conv3x3BackwardInput(wantDx, dout, w, 0, 0, B * CI, CI, CO, H, W);
                ConvKernels.conv3x3BackwardWeight(wantDw, 0, wantDb, 0, dout, x, 0, CO * CI, B, CI, CO, H, W);
                vc.convForward(e, gotOut, x, wA, W_OFF, bA, B_OFF, B, CI, CO, H, W, 9);
                vc.convBackwardInput(e, gotDx, dout, wA, W_OFF, B, CI, CO, H, W, 9);
                vc.convBackwardWeight(e, gotDw, W_OFF, gotDb, B_OFF, dout, x, B, CI, CO, H, W, 9);
            }
            case CONV1 -> {
                ConvKernels.conv1x1Forward(wantOut, x, w, 0, bias, 0, 0, B * CO, CI, CO, HW);
                ConvKernels.conv1x1BackwardInput(wantDx, dout, w, 0, 0, B * CI, CI, CO, HW);
                ConvKernels.conv1x1BackwardWeight(wantDw, 0, wantDb, 0, dout, x, 0, CO * CI, B, CI, CO, HW);
                vc.convForward(e, gotOut, x, wA, W_OFF, bA, B_OFF, B, CI, CO, 1, HW, 1);
                vc.convBackwardInput(e, gotDx, dout, wA, W_OFF, B, CI, CO, 1, HW, 1);
                vc.convBackwardWeight(e, gotDw, W_OFF, gotDb, B_OFF, dout, x, B, CI, CO, 1, HW, 1);
            }
            case CONVT -> {
                ConvTransposeKernels.convTranspose2x2Forward(wantOut, x, w, 0, bias, 0, 0, B * CO, CI, CO, H, W);
                ConvTransposeKernels.convTranspose2x2BackwardInput(wantDx, dout, w, 0, 0, B * CI, CI, CO, H, W);
                ConvTransposeKernels.convTranspose2x2BackwardWeight(wantDw, 0, wantDb, 0, dout, x, 0, CI * CO, B, CI, CO, H, W);
                vc.convTForward(e, gotOut, x, wA, W_OFF, bA, B_OFF, B, CI, CO, H, W);
                vc.convTBackwardInput(e, gotDx, dout, wA, W_OFF, B, CI, CO, H, W);
                vc.convTBackwardWeight(e, gotDw, W_OFF, gotDb, B_OFF, dout, x, B, CI, CO, H, W);
            }
        }
        assertClose(tag + " out", wantOut, gotOut, wantOut.length);
        assertClose(tag + " dx", wantDx, gotDx, wantDx.length);
        assertClose(tag + " dW", wantDw, Arena.slice(gotDw, W_OFF, wantDw.length), wantDw.length);
        assertClose(tag + " db", wantDb, Arena.slice(gotDb, B_OFF, CO), CO);
        Arena.assertOutsideUntouched(tag + " dW", gotDw, W_OFF, wantDw.length);
        Arena.assertOutsideUntouched(tag + " db", gotDb, B_OFF, CO);
        return new float[][] {gotOut, gotDx, gotDw, gotDb};
    }

    /** All channel pairs and planes, batch cycling through 1..7; every fourth case also on 2 threads. */
    static void sweep(Op op) {
        int n = 0;
        for (int side : SIDE) {
            for (int ci : CH) {
                for (int co : CH) {
                    int B = 1 + n % 7;
                    if (op == Op.CONVT && side == 16 && ci * co > 100) B = 1 + n % 2;     // keep the scalar reference quick
                    float[][] a = check(op, one, B, ci, co, side, side, n);
                    if (n % 4 == 0) threadsAgree(op + " side=" + side, a, check(op, two, B, ci, co, side, side, n));
                    n++;
                }
            }
        }
    }

    static void threadsAgree(String tag, float[][] one, float[][] two) {
        assertArrayEquals(one[0], two[0], tag + " out, 1 vs 2 threads");
        assertArrayEquals(one[1], two[1], tag + " dx, 1 vs 2 threads");
        assertArrayEquals(one[2], two[2], tag + " dW, 1 vs 2 threads");
        assertArrayEquals(one[3], two[3], tag + " db, 1 vs 2 threads");
    }

    @Test void conv3x3MatchesScalarKernels() { sweep(Op.CONV3); }

    @Test void conv1x1MatchesScalarKernels() { sweep(Op.CONV1); }

    @Test void convTranspose2x2MatchesScalarKernels() { sweep(Op.CONVT); }

    /**
     * Batches that span several chunks (a short last one), on 1, 2 and 3 threads; 8×8 with B = 101 has more chunks
     * than the weight gradients have partial sums, so 3 threads take unequal runs of them.
     */
    @Test void manyChunks() {
        for (Op op : Op.values()) {
            float[][] a = check(op, one, 101, 5, 16, 2, 2, 7);
            threadsAgree(op + " 2x2 B=101", a, check(op, two, 101, 5, 16, 2, 2, 7));
            threadsAgree(op + " 2x2 B=101 (3 threads)", a, check(op, three, 101, 5, 16, 2, 2, 7));
            threadsAgree(op + " 8x8 B=7", check(op, one, 7, 16, 33, 8, 8, 8), check(op, two, 7, 16, 33, 8, 8, 8));
            float[][] b = check(op, one, 101, 5, 16, 8, 8, 9);
            threadsAgree(op + " 8x8 B=101", b, check(op, two, 101, 5, 16, 8, 8, 9));
            threadsAgree(op + " 8x8 B=101 (3 threads)", b, check(op, three, 101, 5, 16, 8, 8, 9));
        }
    }

    /** The engine methods route to the fast path or the scalar default; either way the same numbers. */
    @Test void engineMethodsMatchScalarKernels() {
        var rng = new Rng(3);
        int B = 6, CI = 16, CO = 32, H = 8, W = 8, HW = H * W;
        float[] x = rng.normal(B * CI * HW), w = rng.normal(CO * CI * 9), b = rng.normal(CO), dout = rng.normal(B * CO * HW);
        float[] want = new float[B * CO * HW], got = new float[B * CO * HW];
        ConvKernels.conv3x3Forward(want, x, w, 0, b, 0, 0, B * CO, CI, CO, H, W);
        two.conv3x3Forward(got, x, Arena.at(W_OFF, w), W_OFF, Arena.at(B_OFF, b), B_OFF, B, CI, CO, H, W);
        assertClose("engine conv3x3Forward", want, got, want.length);
        float[] wantDw = rng.normal(CO * CI * 9), wantDb = new float[CO];
        float[] gotDw = Arena.at(W_OFF, wantDw, Arena.SENTINEL), gotDb = Arena.zerosAt(B_OFF, CO);
        ConvKernels.conv3x3BackwardWeight(wantDw, 0, wantDb, 0, dout, x, 0, CO * CI, B, CI, CO, H, W);
        two.conv3x3BackwardWeight(gotDw, W_OFF, gotDb, B_OFF, dout, x, B, CI, CO, H, W);
        assertClose("engine conv3x3BackwardWeight dW", wantDw, Arena.slice(gotDw, W_OFF, wantDw.length), wantDw.length);
        assertClose("engine conv3x3BackwardWeight db", wantDb, Arena.slice(gotDb, B_OFF, CO), CO);
        Arena.assertOutsideUntouched("engine conv3x3BackwardWeight dW", gotDw, W_OFF, wantDw.length);
        Arena.assertOutsideUntouched("engine conv3x3BackwardWeight db", gotDb, B_OFF, CO);
    }
}
