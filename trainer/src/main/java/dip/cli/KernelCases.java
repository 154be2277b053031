package dip.cli;

import dip.model.DipConfig;
import dip.model.Preset;
import dip.tornado.exec.Engine;
import dip.tornado.kernels.ActivationKernels;
import dip.tornado.kernels.NormKernels;
import dip.util.Rng;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The rows of `dip bench kernels`, in print order. Adding a kernel is one line in {@link #all}: a name, a shape
 * string, its FLOPs (0 when GFLOP/s means nothing) and a setup that allocates the buffers and returns the call.
 * scripts/bench/bench_kernels.py prints the same rows from PyTorch: keep the names and shapes in step.
 */
final class KernelCases {
    private KernelCases() {
    }

    /** One table row. setup runs once, just before the timing, so only one case's buffers live at a time. */
    record Case(String name, String shape, double flops, Supplier<Runnable> setup) {
    }

    static List<Case> all(Engine e, long seed) {
        List<Case> cs = new ArrayList<>();
        matmul(cs, e, seed, "mm256", 256, 256, 256);
        matmul(cs, e, seed, "mm1024", 1024, 1024, 1024);
        DipConfig xl = Preset.XL16.config();                        // DiP-XL/16 at 256²: N = 256 tokens, D = 1152
        int B = 1, R = B * xl.tokens(), D = xl.hidden(), H = xl.mlpHidden();
        matmul(cs, e, seed, "xl.qkv", R, D, 3 * D);
        matmul(cs, e, seed, "xl.proj", R, D, D);
        matmul(cs, e, seed, "xl.adaln", B, D, 6 * D);
        matmul(cs, e, seed, "xl.mlp_w1w3", R, D, H);
        matmul(cs, e, seed, "xl.mlp_w2", R, H, D);
        int BN = B * xl.tokens();                                   // the XL Patch Detailer Head: BN patches of 16×16
        conv(cs, e, seed, "xl.pdh.enc1", 3, BN, 3, 64, 16);
        conv(cs, e, seed, "xl.pdh.enc2", 3, BN, 64, 128, 8);
        conv(cs, e, seed, "xl.pdh.dec1", 3, BN, 128, 64, 16);
        conv(cs, e, seed, "xl.pdh.dec2", 3, BN, 256, 64, 8);
        conv(cs, e, seed, "xl.pdh.dec3", 3, BN, 512, 128, 4);
        conv(cs, e, seed, "xl.pdh.dec4", 3, BN, 1024, 256, 2);
        conv(cs, e, seed, "xl.pdh.out", 1, BN, 64, 3, 16);
        conv(cs, e, seed, "xl.pdh.up1", 2, BN, 64, 64, 8);
        conv(cs, e, seed, "xl.pdh.up3", 2, BN, 256, 256, 2);
        int NH = xl.heads(), HS = xl.headDim(), rows = B * NH * R;  // attention over the 256 tokens, 16 heads of 72
        float scale = (float) (1.0 / Math.sqrt(HS));
        double attnFlops = 4.0 * B * NH * R * R * HS;               // q·kᵀ and P·v
        cs.add(new Case("xl.attn.fwd", "B=1 NH=16 N=256 HS=72", attnFlops, () -> {
            float[] q = normal(seed, rows * HS), k = normal(seed + 1, rows * HS), v = normal(seed + 2, rows * HS);
            float[] out = new float[rows * HS], att = new float[rows * R];
            return () -> e.attentionForward(out, att, q, k, v, B * NH, R, HS, scale);
        }));
        cs.add(new Case("xl.attn.bwd", "B=1 NH=16 N=256 HS=72", 2 * attnFlops, () -> {
            float[] q = normal(seed, rows * HS), k = normal(seed + 1, rows * HS), v = normal(seed + 2, rows * HS);
            float[] out = new float[rows * HS], att = new float[rows * R], dpre = new float[rows * R];
            float[] dout = normal(seed + 3, rows * HS), dq = new float[rows * HS], dk = new float[rows * HS], dv = new float[rows * HS];
            e.attentionForward(out, att, q, k, v, B * NH, R, HS, scale);
            return () -> e.attentionBackward(dq, dk, dv, dpre, dout, q, k, v, att, B * NH, R, HS, scale);
        }));
        cs.add(new Case("xl.rmsnorm.fwd", "R=256 D=1152", 0, () -> {
            float[] x = normal(seed, R * D), w = normal(seed + 1, D), out = new float[R * D], rstd = new float[R];
            return () -> e.parallelFor(R, (lo, hi) -> NormKernels.rmsNormForward(out, rstd, x, w, 0, lo, hi, D, 1e-6f));
        }));
        int n = R * H;                                              // SiLU inside SwiGLU: (R, H)
        cs.add(new Case("silu.fwd", "n=" + n, 0, () -> {
            float[] x = normal(seed, n), out = new float[n];
            return () -> e.parallelFor(n, (lo, hi) -> ActivationKernels.siluForward(out, x, lo, hi));
        }));
        cs.add(new Case("silu.bwd", "n=" + n, 0, () -> {
            float[] x = normal(seed, n), dout = normal(seed + 1, n), dx = new float[n];
            return () -> e.parallelFor(n, (lo, hi) -> ActivationKernels.siluBackward(dx, dout, x, lo, hi));
        }));
        return cs;
    }

    /** The three products of a Linear (R rows, IN -> OUT): forward, backward to the input, backward to W and b. */
    static void matmul(List<Case> cs, Engine e, long seed, String label, int R, int IN, int OUT) {
        String shape = "R=" + R + " " + IN + "->" + OUT;
        double flops = 2.0 * R * IN * OUT;
        cs.add(new Case(label + ".fwd", shape, flops, () -> {
            float[] x = normal(seed, R * IN), w = normal(seed + 1, OUT * IN), b = normal(seed + 2, OUT), out = new float[R * OUT];
            return () -> e.matmulForward(out, x, w, 0, b, 0, R, IN, OUT);
        }));
        cs.add(new Case(label + ".bwd_in", shape, flops, () -> {
            float[] dout = normal(seed, R * OUT), w = normal(seed + 1, OUT * IN), dx = new float[R * IN];
            return () -> e.matmulBackwardInput(dx, dout, w, 0, R, IN, OUT);
        }));
        cs.add(new Case(label + ".bwd_w", shape, flops, () -> {
            float[] dout = normal(seed, R * OUT), x = normal(seed + 1, R * IN), dw = new float[OUT * IN], db = new float[OUT];
            return () -> e.matmulBackwardWeight(dw, 0, db, 0, dout, x, R, IN, OUT);
        }));
    }

    /**
     * The three products of a conv layer on B images: k = 3 (Conv2d 3×3 pad 1), 1 (Conv2d 1×1) or 2 (ConvTranspose2d
     * k2 s2, input side×side, output twice that); forward, backward to the input, backward to W and b.
     */
    static void conv(List<Case> cs, Engine e, long seed, String label, int k, int B, int CI, int CO, int side) {
        String shape = "B=" + B + " " + CI + "->" + CO + " " + side + "x" + side;
        int HW = side * side, outHW = k == 2 ? 4 * HW : HW, taps = k == 2 ? 4 : k * k;
        double flops = 2.0 * B * HW * CI * CO * taps;
        cs.add(new Case(label + ".fwd", shape, flops, () -> {
            float[] x = normal(seed, B * CI * HW), w = normal(seed + 1, CO * CI * taps), b = normal(seed + 2, CO);
            float[] out = new float[B * CO * outHW];
            if (k == 3) return () -> e.conv3x3Forward(out, x, w, 0, b, 0, B, CI, CO, side, side);
            if (k == 1) return () -> e.conv1x1Forward(out, x, w, 0, b, 0, B, CI, CO, HW);
            return () -> e.convTranspose2x2Forward(out, x, w, 0, b, 0, B, CI, CO, side, side);
        }));
        cs.add(new Case(label + ".bwd_in", shape, flops, () -> {
            float[] dout = normal(seed, B * CO * outHW), w = normal(seed + 1, CO * CI * taps), dx = new float[B * CI * HW];
            if (k == 3) return () -> e.conv3x3BackwardInput(dx, dout, w, 0, B, CI, CO, side, side);
            if (k == 1) return () -> e.conv1x1BackwardInput(dx, dout, w, 0, B, CI, CO, HW);
            return () -> e.convTranspose2x2BackwardInput(dx, dout, w, 0, B, CI, CO, side, side);
        }));
        cs.add(new Case(label + ".bwd_w", shape, flops, () -> {
            float[] dout = normal(seed, B * CO * outHW), x = normal(seed + 1, B * CI * HW);
            float[] dw = new float[CO * CI * taps], db = new float[CO];
            if (k == 3) return () -> e.conv3x3BackwardWeight(dw, 0, db, 0, dout, x, B, CI, CO, side, side);
            if (k == 1) return () -> e.conv1x1BackwardWeight(dw, 0, db, 0, dout, x, B, CI, CO, HW);
            return () -> e.convTranspose2x2BackwardWeight(dw, 0, db, 0, dout, x, B, CI, CO, side, side);
        }));
    }

    private static float[] normal(long seed, int n) {
        return new Rng(seed).normal(n);
    }
}
