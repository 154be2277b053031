package dip.tornado.exec;

import dip.util.Rng;

import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM by {@link JitIndependenceTest}: every fast path of {@link JavaEngine} (matmul gemv / axpy / GEMM,
 * the three convolutions, attention; shapes with tails) on 1 and 2 threads, each {@code args[0]} times on the same
 * inputs. Prints one line per operation: its name and a digest of the outputs' bits, the same for every repetition
 * and both thread counts, or a line starting with "MISMATCH" naming the first repetition or thread count that
 * differed. A JVM that compiles early (a low compile threshold) runs the later repetitions compiled; one stopped at
 * C1 or interpreting runs the Vector API's Java fallback throughout.
 */
public final class EngineDigest {
    interface Op { float[][] run(JavaEngine e); }

    public static void main(String[] args) {
        int reps = Integer.parseInt(args[0]);
        List<String> names = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        addOps(names, ops);
        try (JavaEngine one = new JavaEngine(1); JavaEngine two = new JavaEngine(2)) {
            for (int i = 0; i < ops.size(); i++) {
                long first = digest(ops.get(i).run(one));
                String bad = null;
                for (int r = 1; r < reps && bad == null; r++) {
                    if (digest(ops.get(i).run(one)) != first) bad = "repetition " + r + " on 1 thread";
                }
                for (int r = 0; r < reps && bad == null; r++) {
                    if (digest(ops.get(i).run(two)) != first) bad = "repetition " + r + " on 2 threads";
                }
                System.out.println(bad == null ? names.get(i) + " " + Long.toHexString(first)
                        : "MISMATCH " + names.get(i) + ": " + bad + " differs from the first");
            }
        }
    }

    static long digest(float[][] arrays) {
        long h = 1125899906842597L;
        for (float[] a : arrays) for (float f : a) h = 31 * h + Float.floatToRawIntBits(f);
        return h;
    }

    private static void addOps(List<String> names, List<Op> ops) {
        for (int R : new int[]{2, 5, 40, 70}) {                // gemv + axpy, gemv + GEMM, GEMM rows / columns
            int IN = 67, OUT = 131;
            var rng = new Rng(R);
            float[] x = rng.normal(R * IN), w = rng.normal(OUT * IN), b = rng.normal(OUT), dout = rng.normal(R * OUT);
            names.add("matmul R=" + R);
            ops.add(e -> {
                float[] out = new float[R * OUT], dx = new float[R * IN], dw = new float[OUT * IN], db = new float[OUT];
                e.matmulForward(out, x, w, 0, b, 0, R, IN, OUT);
                e.matmulBackwardInput(dx, dout, w, 0, R, IN, OUT);
                e.matmulBackwardWeight(dw, 0, db, 0, dout, x, R, IN, OUT);
                return new float[][]{out, dx, dw, db};
            });
        }
        // 8×8 planes, B = 61: 21 chunks, more than the weight gradients' partial sums
        int B = 61, CI = 5, CO = 17, H = 8, W = 8, HW = H * W;
        var rng = new Rng(7);
        float[] x = rng.normal(B * CI * HW), w3 = rng.normal(CO * CI * 9), w1 = rng.normal(CO * CI),
                wt = rng.normal(CI * CO * 4), bias = rng.normal(CO), dout = rng.normal(B * CO * HW),
                doutT = rng.normal(B * CO * 4 * HW);
        names.add("conv3x3");
        ops.add(e -> {
            float[] out = new float[B * CO * HW], dx = new float[B * CI * HW], dw = new float[w3.length], db = new float[CO];
            e.conv3x3Forward(out, x, w3, 0, bias, 0, B, CI, CO, H, W);
            e.conv3x3BackwardInput(dx, dout, w3, 0, B, CI, CO, H, W);
            e.conv3x3BackwardWeight(dw, 0, db, 0, dout, x, B, CI, CO, H, W);
            return new float[][]{out, dx, dw, db};
        });
        names.add("conv1x1");
        ops.add(e -> {
            float[] out = new float[B * CO * HW], dx = new float[B * CI * HW], dw = new float[w1.length], db = new float[CO];
            e.conv1x1Forward(out, x, w1, 0, bias, 0, B, CI, CO, HW);
            e.conv1x1BackwardInput(dx, dout, w1, 0, B, CI, CO, HW);
            e.conv1x1BackwardWeight(dw, 0, db, 0, dout, x, B, CI, CO, HW);
            return new float[][]{out, dx, dw, db};
        });
        names.add("convTranspose2x2");
        ops.add(e -> {
            float[] out = new float[B * CO * 4 * HW], dx = new float[B * CI * HW], dw = new float[wt.length], db = new float[CO];
            e.convTranspose2x2Forward(out, x, wt, 0, bias, 0, B, CI, CO, H, W);
            e.convTranspose2x2BackwardInput(dx, doutT, wt, 0, B, CI, CO, H, W);
            e.convTranspose2x2BackwardWeight(dw, 0, db, 0, doutT, x, B, CI, CO, H, W);
            return new float[][]{out, dx, dw, db};
        });
        int BH = 3, N = 37, HS = 24;                           // N ≥ JavaEngine.ATTN_MIN_N, with vector tails
        float scale = 0.2f;
        float[] q = rng.normal(BH * N * HS), k = rng.normal(BH * N * HS), v = rng.normal(BH * N * HS),
                dO = rng.normal(BH * N * HS);
        names.add("attention");
        ops.add(e -> {
            float[] out = new float[BH * N * HS], att = new float[BH * N * N], dpre = new float[BH * N * N];
            float[] dq = new float[BH * N * HS], dk = new float[BH * N * HS], dv = new float[BH * N * HS];
            e.attentionForward(out, att, q, k, v, BH, N, HS, scale);
            e.attentionBackward(dq, dk, dv, dpre, dO, q, k, v, att, BH, N, HS, scale);
            return new float[][]{out, att, dpre, dq, dk, dv};
        });
    }

    private EngineDigest() {
    }
}
