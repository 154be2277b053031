package dip.tornado.exec.tornadovm;

// Beyond matmul: kernels of every family run on TornadoVM's default device as they are, each one the task of its
// own TaskGraph over its whole range (r0 = 0, r1 = n), and must match the same method called on the CPU. Compiled
// and run only by the `tornadovm` profile, whose argLine names dip.tornado.Parallel and turns TornadoVM's bailout
// recovery off (-Dtornado.recover.bailout=False): a kernel TornadoVM cannot compile for the device then fails here
// instead of quietly running as sequential Java on the host. Weights and weight gradients sit at nonzero offsets in
// larger arrays (dip.util.Arena), as in the model's flat parameter array.

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static dip.util.Arena.B_OFF;
import static dip.util.Arena.W_OFF;
import static org.junit.jupiter.api.Assertions.fail;

import dip.tornado.kernels.ActivationKernels;
import dip.tornado.kernels.AdaLnKernels;
import dip.tornado.kernels.AttentionKernels;
import dip.tornado.kernels.AttentionSteps;
import dip.tornado.kernels.ConvKernels;
import dip.tornado.kernels.ConvTransposeKernels;
import dip.tornado.kernels.EmbedKernels;
import dip.tornado.kernels.NormKernels;
import dip.tornado.kernels.OptimizerKernels;
import dip.tornado.kernels.PatchKernels;
import dip.tornado.kernels.PoolKernels;
import dip.tornado.kernels.RopeKernels;
import dip.tornado.kernels.SwigluKernels;
import dip.util.Arena;
import dip.util.Rng;
import dip.util.Tol;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

class TornadoKernelsTest {
    private static TornadoDevice device;
    private static final Map<String, Double> MAX_ERR = new TreeMap<>();     // kernel -> max abs error, for the log
    private static int graphs;

    @BeforeAll
    static void start() {
        assertEquals(dip.tornado.Parallel.class.getName(), System.getProperty("tornado.load.annotation.parallel"),
                "the profile's argLine must point TornadoVM at the kernels' annotation");
        assertEquals("False", System.getProperty("tornado.recover.bailout"),
                "the profile's argLine must turn bailout recovery off, or a failed compile would run on the host");
        device = TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice();
    }

    @AfterAll
    static void report() {
        if (device == null) return;
        System.out.println("TornadoKernelsTest on " + device.getPhysicalDevice().getDeviceName() + ": max abs error vs CPU");
        MAX_ERR.forEach((k, e) -> System.out.printf(Locale.ROOT, "  %-28s %.3e%n", k, e));
    }

    // ------------------------------------------------------------------------------------------------ norms, rope

    @Test
    void rmsNormForward() {
        int R = 37, D = 48;
        float eps = 1e-6f;
        var rng = new Rng(21);
        float[] x = rng.normal(R * D), w = Arena.at(W_OFF, rng.normal(D));
        float[] out = nan(R * D), rstd = nan(R), outD = nan(R * D), rstdD = nan(R);
        NormKernels.rmsNormForward(out, rstd, x, w, W_OFF, 0, R, D, eps);
        onDevice(g -> g.task("rmsNormForward", NormKernels::rmsNormForward, outD, rstdD, x, w, W_OFF, 0, R, D, eps),
                new Object[] {x, w}, new Object[] {outD, rstdD});
        assertClose("rmsNormForward out", out, outD);
        assertClose("rmsNormForward rstd", rstd, rstdD);
    }

    @Test
    void ropeTablesAndForward() {
        int grid = 5, N = grid * grid, HS = 16, BH = 3, R = BH * N;
        float[] cos = nan(N * HS / 2), sin = nan(N * HS / 2), cosD = nan(N * HS / 2), sinD = nan(N * HS / 2);
        RopeKernels.ropeTables(cos, sin, 0, N, grid, HS);                   // calls the helper linspacePosition
        onDevice(g -> g.task("ropeTables", RopeKernels::ropeTables, cosD, sinD, 0, N, grid, HS),
                new Object[0], new Object[] {cosD, sinD});
        assertClose("ropeTables cos", cos, cosD);
        assertClose("ropeTables sin", sin, sinD);

        float[] x = new Rng(22).normal(R * HS), out = nan(R * HS), outD = nan(R * HS);
        RopeKernels.ropeForward(out, x, cos, sin, 0, R, N, HS);
        onDevice(g -> g.task("ropeForward", RopeKernels::ropeForward, outD, x, cos, sin, 0, R, N, HS),
                new Object[] {x, cos, sin}, new Object[] {outD});
        assertClose("ropeForward", out, outD);
    }

    // ------------------------------------------------------------------------------------------------ attention

    @Test
    void attentionForward() {
        int BH = 3, N = 17, HS = 16, R = BH * N;
        float scale = (float) (1.0 / Math.sqrt(HS));
        var rng = new Rng(23);
        float[] q = rng.normal(R * HS), k = rng.normal(R * HS), v = rng.normal(R * HS);
        float[] out = nan(R * HS), att = nan(R * N), outD = nan(R * HS), attD = nan(R * N);
        AttentionSteps.forward(out, att, q, k, v, R, N, HS, scale);
        onDevice(g -> g.task("headDots", AttentionKernels::headDots, attD, q, k, 0, R, N, HS, scale)
                        .task("softmaxRows", AttentionKernels::softmaxRows, attD, 0, R, N)
                        .task("headWeightedSum", AttentionKernels::headWeightedSum, outD, attD, v, 0, R, N, HS, 1f),
                new Object[] {q, k, v}, new Object[] {outD, attD});
        assertClose("attention forward out", out, outD);
        assertClose("attention forward att", att, attD);
    }

    // --------------------------------------------------------------------------------------- adaLN, activations

    @Test
    void modulateForward() {
        int B = 3, N = 5, D = 24, chunks = 6, R = B * N;
        var rng = new Rng(24);
        float[] x = rng.normal(R * D), mod = rng.normal(B * chunks * D);
        float[] out = nan(R * D), outD = nan(R * D);
        AdaLnKernels.modulateForward(out, x, mod, 0, R, N, D, chunks, 3, 4);
        onDevice(g -> g.task("modulateForward", AdaLnKernels::modulateForward, outD, x, mod, 0, R, N, D, chunks, 3, 4),
                new Object[] {x, mod}, new Object[] {outD});
        assertClose("modulateForward", out, outD);
    }

    @Test
    void siluForward() {
        int n = 1001;
        float[] x = new Rng(25).normal(n), out = nan(n), outD = nan(n);
        ActivationKernels.siluForward(out, x, 0, n);
        onDevice(g -> g.task("siluForward", ActivationKernels::siluForward, outD, x, 0, n), new Object[] {x}, new Object[] {outD});
        assertClose("siluForward", out, outD);
    }

    @Test
    void swiglu() {
        int R = 37, H = 21, n = R * H;
        var rng = new Rng(26);
        float[] ab = rng.normal(2 * n), out = nan(n), outD = nan(n);
        SwigluKernels.swigluForward(out, ab, 0, n, H);
        onDevice(g -> g.task("swigluForward", SwigluKernels::swigluForward, outD, ab, 0, n, H), new Object[] {ab}, new Object[] {outD});
        assertClose("swigluForward", out, outD);
        float[] dout = rng.normal(n), dab = nan(2 * n), dabD = nan(2 * n);
        SwigluKernels.swigluBackward(dab, dout, ab, 0, n, H);
        onDevice(g -> g.task("swigluBackward", SwigluKernels::swigluBackward, dabD, dout, ab, 0, n, H),
                new Object[] {dout, ab}, new Object[] {dabD});
        assertClose("swigluBackward", dab, dabD);
    }

    @Test
    void timestepFeatures() {
        int B = 7, dim = 33;                                                // odd dim: the last column is 0
        float[] t = new float[B];
        var rng = new Rng(27);
        for (int i = 0; i < B; i++) t[i] = rng.uniform();
        float[] out = nan(B * dim), outD = nan(B * dim);
        EmbedKernels.timestepFeatures(out, t, 0, B, dim, 10f);
        onDevice(g -> g.task("timestepFeatures", EmbedKernels::timestepFeatures, outD, t, 0, B, dim, 10f),
                new Object[] {t}, new Object[] {outD});
        assertClose("timestepFeatures", out, outD);
    }

    // ----------------------------------------------------------------------------------------- conv, pool, patch

    @Test
    void conv3x3Forward() {
        int[][] shapes = {{2, 3, 5, 2, 2}, {2, 3, 4, 8, 8}, {1, 2, 3, 5, 7}};    // B, CI, CO, H, W: all three paths
        for (int[] s : shapes) {
            int B = s[0], CI = s[1], CO = s[2], H = s[3], W = s[4];
            var rng = new Rng(28 + H * W);
            float[] x = rng.normal(B * CI * H * W), w = Arena.at(W_OFF, rng.normal(CO * CI * 9)), bias = Arena.at(B_OFF, rng.normal(CO));
            float[] out = nan(B * CO * H * W), outD = nan(B * CO * H * W);
            ConvKernels.conv3x3Forward(out, x, w, W_OFF, bias, B_OFF, 0, B * CO, CI, CO, H, W);
            onDevice(g -> g.task("conv3x3Forward", ConvKernels::conv3x3Forward, outD, x, w, W_OFF, bias, B_OFF, 0, B * CO, CI, CO, H, W),
                    new Object[] {x, w, bias}, new Object[] {outD});
            assertClose("conv3x3Forward " + Arrays.toString(s), out, outD);
        }
    }

    @Test
    void maxPool2x2Forward() {
        int planes = 6, H = 9, W = 8, R = planes * (H / 2) * (W / 2);      // odd H: the last row is dropped
        float[] x = new Rng(29).normal(planes * H * W), out = nan(R), outD = nan(R);
        int[] arg = new int[R], argD = new int[R];
        Arrays.fill(argD, -1);
        PoolKernels.maxPool2x2Forward(out, arg, x, 0, R, H, W);
        onDevice(g -> g.task("maxPool2x2Forward", PoolKernels::maxPool2x2Forward, outD, argD, x, 0, R, H, W),
                new Object[] {x}, new Object[] {outD, argD});
        assertClose("maxPool2x2Forward out", out, outD);
        assertArrayEquals(arg, argD, "maxPool2x2Forward argmax");
    }

    @Test
    void patchifyForward() {
        int B = 2, C = 3, H = 8, W = 12, P = 4, N = (H / P) * (W / P), R = B * N;
        float[] x = new Rng(30).normal(B * C * H * W), tok = nan(R * C * P * P), tokD = nan(R * C * P * P);
        PatchKernels.patchifyForward(tok, x, 0, R, C, H, W, P);
        onDevice(g -> g.task("patchifyForward", PatchKernels::patchifyForward, tokD, x, 0, R, C, H, W, P),
                new Object[] {x}, new Object[] {tokD});
        assertClose("patchifyForward", tok, tokD);
    }

    // ----------------------------------------------- backward kernels (input gradients written, weights' accumulated)

    @Test
    void rmsNormBackward() {
        int R = 23, D = 40;
        var rng = new Rng(31);
        float[] x = rng.normal(R * D), w = Arena.at(W_OFF, rng.normal(D)), dout = rng.normal(R * D), rstd = new float[R];
        NormKernels.rmsNormForward(new float[R * D], rstd, x, w, W_OFF, 0, R, D, 1e-6f);
        float[] dx = rng.normal(R * D), dxD = dx.clone();                 // garbage: every element must be written
        NormKernels.rmsNormBackward(dx, dout, x, w, W_OFF, rstd, 0, R, D);
        onDevice(g -> g.task("rmsNormBackward", NormKernels::rmsNormBackward, dxD, dout, x, w, W_OFF, rstd, 0, R, D),
                new Object[] {dout, x, w, rstd, dxD}, new Object[] {dxD});
        assertClose("rmsNormBackward", dx, dxD);
        float[] dw = Arena.at(B_OFF, rng.normal(D), Arena.SENTINEL), dwD = dw.clone();     // accumulated at its offset
        NormKernels.rmsNormWeightBackward(dw, B_OFF, dout, x, rstd, 0, D, R, D);
        onDevice(g -> g.task("rmsNormWeightBackward", NormKernels::rmsNormWeightBackward, dwD, B_OFF, dout, x, rstd, 0, D, R, D),
                new Object[] {dout, x, rstd, dwD}, new Object[] {dwD});
        assertSliceClose("rmsNormWeightBackward", dw, dwD, B_OFF, D);
    }

    /** The block's pre-norm fused with the modulation: forward, then backward (dy written, dx accumulated). */
    @Test
    void rmsNormModulate() {
        int B = 3, N = 7, D = 24, chunks = 6, R = B * N;
        var rng = new Rng(37);
        float[] x = rng.normal(R * D), w = Arena.at(W_OFF, rng.normal(D)), mod = rng.normal(B * chunks * D);
        float[] h = nan(R * D), y = nan(R * D), rstd = nan(R), hD = nan(R * D), yD = nan(R * D), rstdD = nan(R);
        NormKernels.rmsNormModulateForward(h, y, rstd, x, w, W_OFF, mod, 0, R, N, D, 1e-6f, chunks, 3, 4);
        onDevice(g -> g.task("rmsNormModulateForward", NormKernels::rmsNormModulateForward, hD, yD, rstdD, x, w, W_OFF, mod,
                        0, R, N, D, 1e-6f, chunks, 3, 4),
                new Object[] {x, w, mod}, new Object[] {hD, yD, rstdD});
        assertClose("rmsNormModulateForward h", h, hD);
        assertClose("rmsNormModulateForward y", y, yD);
        assertClose("rmsNormModulateForward rstd", rstd, rstdD);
        float[] dh = rng.normal(R * D), dy = nan(R * D), dyD = nan(R * D), dx = rng.normal(R * D), dxD = dx.clone();
        NormKernels.rmsNormModulateBackward(dy, dx, dh, mod, x, w, W_OFF, rstd, 0, R, N, D, chunks, 4);
        onDevice(g -> g.task("rmsNormModulateBackward", NormKernels::rmsNormModulateBackward, dyD, dxD, dh, mod, x, w, W_OFF,
                        rstd, 0, R, N, D, chunks, 4),
                new Object[] {dh, mod, x, w, rstd, dxD}, new Object[] {dyD, dxD});
        assertClose("rmsNormModulateBackward dy", dy, dyD);
        assertClose("rmsNormModulateBackward dx", dx, dxD);
    }

    /** The attention's split, q/k norm and RoPE in one kernel, its backward and its weight gradient. */
    @Test
    void qkNormRope() {
        int B = 2, NH = 3, grid = 3, N = grid * grid, HS = 8, D = NH * HS, rows = B * NH * N, qOff = W_OFF, kOff = W_OFF + HS;
        var rng = new Rng(38);
        float[] qkv = rng.normal(B * N * 3 * D), w = Arena.at(qOff, rng.normal(2 * HS));
        float[] cos = new float[N * HS / 2], sin = new float[N * HS / 2];
        RopeKernels.ropeTables(cos, sin, 0, N, grid, HS);
        float[] qr = nan(rows * HS), kr = nan(rows * HS), v = nan(rows * HS), rstd = nan(2 * rows);
        float[] qrD = nan(rows * HS), krD = nan(rows * HS), vD = nan(rows * HS), rstdD = nan(2 * rows);
        AttentionKernels.qkNormRopeForward(qr, kr, v, rstd, qkv, w, qOff, kOff, cos, sin, 0, rows, rows, N, NH, HS, 1e-6f);
        onDevice(g -> g.task("qkNormRopeForward", AttentionKernels::qkNormRopeForward, qrD, krD, vD, rstdD, qkv, w, qOff, kOff,
                        cos, sin, 0, rows, rows, N, NH, HS, 1e-6f),
                new Object[] {qkv, w, cos, sin}, new Object[] {qrD, krD, vD, rstdD});
        assertClose("qkNormRopeForward qr", qr, qrD);
        assertClose("qkNormRopeForward kr", kr, krD);
        assertClose("qkNormRopeForward v", v, vD);
        assertClose("qkNormRopeForward rstd", rstd, rstdD);
        float[] dqr = rng.normal(rows * HS), dkr = rng.normal(rows * HS), dv = rng.normal(rows * HS);
        float[] dqkv = nan(B * N * 3 * D), dn = nan(2 * rows * HS), dqkvD = nan(B * N * 3 * D), dnD = nan(2 * rows * HS);
        AttentionKernels.qkNormRopeBackward(dqkv, dn, dqr, dkr, dv, qkv, w, qOff, kOff, rstd, cos, sin, 0, rows, rows, N, NH, HS);
        onDevice(g -> g.task("qkNormRopeBackward", AttentionKernels::qkNormRopeBackward, dqkvD, dnD, dqr, dkr, dv, qkv, w,
                        qOff, kOff, rstd, cos, sin, 0, rows, rows, N, NH, HS),
                new Object[] {dqr, dkr, dv, qkv, w, rstd, cos, sin}, new Object[] {dqkvD, dnD});
        assertClose("qkNormRopeBackward dqkv", dqkv, dqkvD);
        assertClose("qkNormRopeBackward dn", dn, dnD);
        float[] dw = Arena.at(qOff, rng.normal(2 * HS), Arena.SENTINEL), dwD = dw.clone();
        AttentionKernels.qkNormWeightBackward(dw, qOff, kOff, dn, qkv, rstd, 0, 2 * HS, rows, N, NH, HS);
        onDevice(g -> g.task("qkNormWeightBackward", AttentionKernels::qkNormWeightBackward, dwD, qOff, kOff, dn, qkv, rstd,
                        0, 2 * HS, rows, N, NH, HS),
                new Object[] {dn, qkv, rstd, dwD}, new Object[] {dwD});
        assertSliceClose("qkNormWeightBackward", dw, dwD, qOff, 2 * HS);
    }

    @Test
    void attentionBackward() {
        int BH = 2, N = 9, HS = 8, R = BH * N;
        float scale = (float) (1.0 / Math.sqrt(HS));
        var rng = new Rng(32);
        float[] q = rng.normal(R * HS), k = rng.normal(R * HS), v = rng.normal(R * HS), dout = rng.normal(R * HS);
        float[] att = new float[R * N];
        AttentionSteps.forward(new float[R * HS], att, q, k, v, R, N, HS, scale);
        float[] dq = rng.normal(R * HS), dqD = dq.clone(), dk = rng.normal(R * HS), dkD = dk.clone();
        float[] dv = rng.normal(R * HS), dvD = dv.clone(), dpre = nan(R * N), dpreD = nan(R * N);
        AttentionSteps.backward(dq, dk, dv, dpre, dout, q, k, v, att, R, N, HS, scale);
        onDevice(g -> g.task("headDots", AttentionKernels::headDots, dpreD, dout, v, 0, R, N, HS, 1f)
                        .task("softmaxBackwardRows", AttentionKernels::softmaxBackwardRows, dpreD, att, 0, R, N)
                        .task("headWeightedSum", AttentionKernels::headWeightedSum, dqD, dpreD, k, 0, R, N, HS, scale)
                        .task("attentionBackwardKeyValue", AttentionKernels::attentionBackwardKeyValue, dkD, dvD, dout, q, att,
                                dpreD, 0, R, N, HS, scale),
                new Object[] {dout, q, k, v, att, dqD, dkD, dvD}, new Object[] {dqD, dkD, dvD, dpreD});
        assertClose("attention backward dq", dq, dqD);
        assertClose("attention backward dk", dk, dkD);
        assertClose("attention backward dv", dv, dvD);
        assertClose("attention backward dpre", dpre, dpreD);
    }

    @Test
    void conv3x3Backward() {
        int[][] shapes = {{2, 3, 5, 2, 2}, {2, 3, 4, 8, 8}, {1, 2, 3, 5, 7}};    // B, CI, CO, H, W
        for (int[] s : shapes) {
            int B = s[0], CI = s[1], CO = s[2], H = s[3], W = s[4];
            var rng = new Rng(33 + H * W);
            float[] x = rng.normal(B * CI * H * W), w = Arena.at(W_OFF, rng.normal(CO * CI * 9)), dout = rng.normal(B * CO * H * W);
            float[] dx = rng.normal(B * CI * H * W), dxD = dx.clone();
            ConvKernels.conv3x3BackwardInput(dx, dout, w, W_OFF, 0, B * CI, CI, CO, H, W);
            onDevice(g -> g.task("conv3x3BackwardInput", ConvKernels::conv3x3BackwardInput, dxD, dout, w, W_OFF, 0, B * CI, CI, CO, H, W),
                    new Object[] {dout, w, dxD}, new Object[] {dxD});
            assertClose("conv3x3BackwardInput " + Arrays.toString(s), dx, dxD);
            float[] dw = Arena.at(W_OFF, rng.normal(CO * CI * 9), Arena.SENTINEL), dwD = dw.clone();
            float[] db = Arena.at(B_OFF, rng.normal(CO), Arena.SENTINEL), dbD = db.clone();
            ConvKernels.conv3x3BackwardWeight(dw, W_OFF, db, B_OFF, dout, x, 0, CO * CI, B, CI, CO, H, W);
            onDevice(g -> g.task("conv3x3BackwardWeight", ConvKernels::conv3x3BackwardWeight, dwD, W_OFF, dbD, B_OFF, dout, x,
                            0, CO * CI, B, CI, CO, H, W),
                    new Object[] {dout, x, dwD, dbD}, new Object[] {dwD, dbD});
            assertSliceClose("conv3x3BackwardWeight dw " + Arrays.toString(s), dw, dwD, W_OFF, CO * CI * 9);
            assertSliceClose("conv3x3BackwardWeight db " + Arrays.toString(s), db, dbD, B_OFF, CO);
        }
    }

    @Test
    void convTranspose2x2Forward() {
        int B = 2, CI = 3, CO = 4, H = 3, W = 5;
        var rng = new Rng(34);
        float[] x = rng.normal(B * CI * H * W), w = Arena.at(W_OFF, rng.normal(CI * CO * 4)), bias = Arena.at(B_OFF, rng.normal(CO));
        float[] out = nan(B * CO * 4 * H * W), outD = nan(B * CO * 4 * H * W);
        ConvTransposeKernels.convTranspose2x2Forward(out, x, w, W_OFF, bias, B_OFF, 0, B * CO, CI, CO, H, W);
        onDevice(g -> g.task("convTranspose2x2Forward", ConvTransposeKernels::convTranspose2x2Forward, outD, x, w, W_OFF,
                        bias, B_OFF, 0, B * CO, CI, CO, H, W),
                new Object[] {x, w, bias}, new Object[] {outD});
        assertClose("convTranspose2x2Forward", out, outD);
    }

    @Test
    void embeddingForwardAndBackward() {
        int classes = 5, B = 7, D = 12;
        var rng = new Rng(35);
        int[] y = {4, 0, 2, 4, 1, 0, 4};
        float[] table = Arena.at(W_OFF, rng.normal(classes * D)), dout = rng.normal(B * D);
        float[] out = nan(B * D), outD = nan(B * D);
        EmbedKernels.embeddingForward(out, table, W_OFF, y, 0, B, D);
        onDevice(g -> g.task("embeddingForward", EmbedKernels::embeddingForward, outD, table, W_OFF, y, 0, B, D),
                new Object[] {table, y}, new Object[] {outD});
        assertClose("embeddingForward", out, outD);
        float[] dt = Arena.at(B_OFF, rng.normal(classes * D), Arena.SENTINEL), dtD = dt.clone();
        EmbedKernels.embeddingBackward(dt, B_OFF, dout, y, 0, classes, B, D);
        onDevice(g -> g.task("embeddingBackward", EmbedKernels::embeddingBackward, dtD, B_OFF, dout, y, 0, classes, B, D),
                new Object[] {dout, y, dtD}, new Object[] {dtD});
        assertSliceClose("embeddingBackward", dt, dtD, B_OFF, classes * D);
    }

    /**
     * The gradient norm's partial sums as the training pass makes them: two banks' gradients (two parameters of 5000
     * and 3 floats; one of 7), each cut into spans of at most CHUNK within a parameter, and two launches writing one
     * partial-sum array, the second bank's spans after the first's. The device must write every slot, each launch
     * only its own: TornadoVM does not copy in an array that a kernel only writes, so slots outside both would hold
     * whatever the device buffer held.
     */
    @Test
    void sumSquaresSpans() {
        int[] bounds0 = {0, 4096, 5000, 5003}, bounds1 = {0, 7};
        int spans0 = bounds0.length - 1, spans1 = bounds1.length - 1;
        Rng rng = new Rng(36);
        float[] g0 = rng.normal(5003), g1 = rng.normal(7);
        float[] partial = nan(spans0 + spans1), partialD = nan(spans0 + spans1);
        OptimizerKernels.sumSquaresSpans(partial, 0, g0, bounds0, 0, spans0);
        OptimizerKernels.sumSquaresSpans(partial, spans0, g1, bounds1, 0, spans1);
        onDevice(t -> t.task("spans0", OptimizerKernels::sumSquaresSpans, partialD, 0, g0, bounds0, 0, spans0)
                        .task("spans1", OptimizerKernels::sumSquaresSpans, partialD, spans0, g1, bounds1, 0, spans1),
                new Object[] {g0, bounds0, g1, bounds1}, new Object[] {partialD});
        assertClose("sumSquaresSpans", partial, partialD);
    }

    // ---------------------------------------------------------------------------------------------------- helpers

    /**
     * One TaskGraph ("g0", "g1", ...) with one task: ins go to the device, outs come back; the plan is freed after
     * one run. With -Dtornado.threadInfo=True TornadoVM prints each task's global work size (= the kernel's range).
     */
    private static void onDevice(Consumer<TaskGraph> task, Object[] ins, Object[] outs) {
        TaskGraph g = new TaskGraph("g" + graphs++);
        if (ins.length > 0) g.transferToDevice(DataTransferMode.EVERY_EXECUTION, ins);
        task.accept(g);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, outs);
        try (var plan = new TornadoExecutionPlan(g.snapshot()).withDevice(device)) {
            plan.execute();
        } catch (Exception e) {
            throw new IllegalStateException("TornadoVM run failed: " + e, e);
        }
    }

    /**
     * A weight gradient at [off, off + n) of a larger array: that slice as {@link #assertClose}, and the device left
     * every element outside it as it was.
     */
    private static void assertSliceClose(String what, float[] ref, float[] got, int off, int n) {
        assertClose(what, Arena.slice(ref, off, n), Arena.slice(got, off, n));
        Arena.assertOutsideUntouched(what, got, off, n);
    }

    /** An output buffer filled with NaN, so an element the device does not write fails the comparison. */
    private static float[] nan(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /** Max-abs comparison, tolerance scaled by the reference's magnitude (FMA and math libraries may differ). */
    private static void assertClose(String what, float[] ref, float[] got) {
        assertEquals(ref.length, got.length, what + ": length");
        double scale = 1.0;
        for (float v : ref) scale = Math.max(scale, Math.abs(v));
        double tol = Tol.FAST_VS_NAIVE * scale;
        int worst = -1;
        double worstErr = -1;
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs((double) ref[i] - got[i]);
            if (!(e <= worstErr)) { worst = i; worstErr = e; }            // NaN counts as worst
        }
        MAX_ERR.merge(what.split(" ")[0], worstErr, Math::max);
        if (!(worstErr <= tol)) {
            fail(String.format(Locale.ROOT, "%s [%d]: cpu %.7g, tornado %.7g, |diff| %.3g > tol %.3g on %s",
                    what, worst, ref[worst], got[worst], worstErr, tol, device.getPhysicalDevice().getDeviceName()));
        }
    }
}
