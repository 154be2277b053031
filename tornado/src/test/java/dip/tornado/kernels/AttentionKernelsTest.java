package dip.tornado.kernels;

import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Head split/merge and softmax attention: hand-worked layouts, a double-precision reference, gradient checks. */
class AttentionKernelsTest {
    static final int B = 2, NH = 3, N = 5, HS = 4, HR = B * NH * N, D = NH * HS;
    static final float SCALE = 0.5f;

    static float[] attend(float[] q, float[] k, float[] v) {
        float[] out = new float[HR * HS], att = new float[HR * N];
        AttentionSteps.forward(out, att, q, k, v, HR, N, HS, SCALE);
        return out;
    }

    @Test
    void qkvSplitLayoutByHand() {
        // B = 1, N = 2, NH = 2, HS = 1 (D = 2). Row n of qkv: [q_h0, q_h1, k_h0, k_h1, v_h0, v_h1].
        float[] qkv = {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15};
        float[] q = new float[4], k = new float[4], v = new float[4];
        AttentionKernels.qkvSplit(q, k, v, qkv, 0, 4, 2, 2, 1);
        // (B, NH, N, HS) order: (h0, n0), (h0, n1), (h1, n0), (h1, n1).
        assertArrayEquals(new float[]{0, 10, 1, 11}, q, 0f, "q");
        assertArrayEquals(new float[]{2, 12, 3, 13}, k, 0f, "k");
        assertArrayEquals(new float[]{4, 14, 5, 15}, v, 0f, "v");
        float[] merged = new float[4];
        AttentionKernels.headsMerge(merged, q, 0, 4, 2, 2, 1);
        assertArrayEquals(new float[]{0, 1, 10, 11}, merged, 0f, "headsMerge(q) = the q columns of qkv");
    }

    @Test
    void splitAndMergeBackwardsMatchFiniteDifferences() {
        var rng = new Rng(7);
        float[] qkv = rng.normal(B * N * 3 * D);
        float[] dq = rng.normal(HR * HS), dk = rng.normal(HR * HS), dv = rng.normal(HR * HS);
        float[] dqkv = new float[B * N * 3 * D];
        AttentionKernels.qkvSplitBackward(dqkv, dq, dk, dv, 0, HR, N, NH, HS);
        GradCheck.assertDirectional("qkvSplit dqkv", xs -> {
            float[] q = new float[HR * HS], k = new float[HR * HS], v = new float[HR * HS];
            AttentionKernels.qkvSplit(q, k, v, xs, 0, HR, N, NH, HS);
            return GradCheck.dot(q, dq, HR * HS) + GradCheck.dot(k, dk, HR * HS) + GradCheck.dot(v, dv, HR * HS);
        }, qkv, dqkv, rng, 1e-2, Tol.GRAD_REL);

        float[] o = rng.normal(HR * HS), dout = rng.normal(B * N * D), dO = new float[HR * HS];
        AttentionKernels.headsMergeBackward(dO, dout, 0, HR, N, NH, HS);
        GradCheck.assertDirectional("headsMerge do", os -> {
            float[] out = new float[B * N * D];
            AttentionKernels.headsMerge(out, os, 0, HR, N, NH, HS);
            return GradCheck.dot(out, dout, B * N * D);
        }, o, dO, rng, 1e-2, Tol.GRAD_REL);
    }

    @Test
    void attentionKnownCase() {
        // One head, N = 2, HS = 1, scale 1. k = [0, ln 3], v = [2, 4].
        // Query 0: q = 0 -> S = [0, 0] -> P = [1/2, 1/2] -> out = 3.
        // Query 1: q = 1 -> S = [0, ln 3] -> P = [1/4, 3/4] -> out = 0.5 + 3 = 3.5.
        float[] q = {0, 1}, k = {0, (float) Math.log(3)}, v = {2, 4};
        float[] out = new float[2], att = new float[4];
        AttentionSteps.forward(out, att, q, k, v, 2, 2, 1, 1f);
        assertArrayEquals(new float[]{3f, 3.5f}, out, Tol.FWD_F32, "out");
        assertArrayEquals(new float[]{0.5f, 0.5f, 0.25f, 0.75f}, att, Tol.FWD_F32, "att");
    }

    @Test
    void attentionMatchesDoubleReference() {
        var rng = new Rng(8);
        float[] q = rng.normal(HR * HS), k = rng.normal(HR * HS), v = rng.normal(HR * HS);
        float[] out = attend(q, k, v), ref = new float[HR * HS];
        for (int bh = 0; bh < B * NH; bh++) {
            for (int i = 0; i < N; i++) {
                double[] s = new double[N];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < N; j++) {
                    for (int d = 0; d < HS; d++) s[j] += (double) q[(bh * N + i) * HS + d] * k[(bh * N + j) * HS + d];
                    s[j] *= SCALE;
                    max = Math.max(max, s[j]);
                }
                for (int j = 0; j < N; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
                for (int d = 0; d < HS; d++) {
                    double acc = 0;
                    for (int j = 0; j < N; j++) acc += s[j] / sum * v[(bh * N + j) * HS + d];
                    ref[(bh * N + i) * HS + d] = (float) acc;
                }
            }
        }
        GradCheck.assertClose("attention out", ref, out, HR * HS, Tol.FWD_F32);
    }

    @Test
    void attentionBackwardMatchesFiniteDifferences() {
        var rng = new Rng(9);
        float[] q = rng.normal(HR * HS), k = rng.normal(HR * HS), v = rng.normal(HR * HS), dout = rng.normal(HR * HS);
        float[] out = new float[HR * HS], att = new float[HR * N], dpre = new float[HR * N];
        AttentionSteps.forward(out, att, q, k, v, HR, N, HS, SCALE);
        float[] dq = new float[HR * HS], dk = new float[HR * HS], dv = new float[HR * HS];
        AttentionSteps.backward(dq, dk, dv, dpre, dout, q, k, v, att, HR, N, HS, SCALE);
        GradCheck.assertDirectional("attention dq", xs -> GradCheck.dot(attend(xs, k, v), dout, HR * HS),
                q, dq, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("attention dk", xs -> GradCheck.dot(attend(q, xs, v), dout, HR * HS),
                k, dk, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("attention dv", xs -> GradCheck.dot(attend(q, k, xs), dout, HR * HS),
                v, dv, rng, 1e-2, Tol.GRAD_REL);
    }

    @Test
    void attentionRowsDoNotMixBatchesOrHeads() {
        // Changing head (b = 1, h = 2)'s values must leave every other head's output bit-identical.
        var rng = new Rng(10);
        float[] q = rng.normal(HR * HS), k = rng.normal(HR * HS), v = rng.normal(HR * HS);
        float[] out = attend(q, k, v);
        float[] v2 = v.clone();
        int last = (B * NH - 1) * N * HS;
        for (int i = last; i < HR * HS; i++) v2[i] += 1f;
        float[] out2 = attend(q, k, v2);
        assertArrayEquals(java.util.Arrays.copyOf(out, last), java.util.Arrays.copyOf(out2, last), 0f, "other heads");
    }
}
