package dip.tornado.kernels;

import dip.util.Arena;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

    // ------------------------------------------------------------- split, q/k norm and RoPE in one kernel

    /** q_norm and k_norm in one weight array, apart (a NaN gap between them), as the fused kernels take them. */
    static final int Q_OFF = Arena.W_OFF, K_OFF = Q_OFF + HS + 2;
    static final float EPS = 1e-6f;

    static float[] qkWeights(float[] wq, float[] wk) {
        float[] w = Arena.at(Q_OFF, new float[K_OFF + HS - Q_OFF]);
        for (int d = 0; d < HS; d++) {
            w[Q_OFF + d] = wq[d];
            w[K_OFF + d] = wk[d];
        }
        for (int d = Q_OFF + HS; d < K_OFF; d++) w[d] = Float.NaN;
        return w;
    }

    /** qr, kr, v, rstd of the unfused kernels: qkvSplit, rmsNormForward on q and k, ropeForward on each. */
    static float[][] unfusedForward(float[] qkv, float[] w, float[] cos, float[] sin) {
        float[] q = new float[HR * HS], k = new float[HR * HS], v = new float[HR * HS];
        AttentionKernels.qkvSplit(q, k, v, qkv, 0, HR, N, NH, HS);
        float[] qn = new float[HR * HS], kn = new float[HR * HS], rstd = new float[2 * HR], rk = new float[HR];
        NormKernels.rmsNormForward(qn, rstd, q, w, Q_OFF, 0, HR, HS, EPS);
        NormKernels.rmsNormForward(kn, rk, k, w, K_OFF, 0, HR, HS, EPS);
        System.arraycopy(rk, 0, rstd, HR, HR);
        float[] qr = new float[HR * HS], kr = new float[HR * HS];
        RopeKernels.ropeForward(qr, qn, cos, sin, 0, HR, N, HS);
        RopeKernels.ropeForward(kr, kn, cos, sin, 0, HR, N, HS);
        return new float[][] {qr, kr, v, rstd, q, k};
    }

    /** The fused forward equals split, norms and rotations run one after another, bit for bit, in two slices. */
    @Test
    void qkNormRopeForwardEqualsUnfused() {
        var rng = new Rng(11);
        float[] qkv = rng.normal(B * N * 3 * D), w = qkWeights(rng.normal(HS), rng.normal(HS));
        float[] cos = rng.normal(N * HS / 2), sin = rng.normal(N * HS / 2);
        float[][] ref = unfusedForward(qkv, w, cos, sin);
        float[] qr = GradCheck.nans(HR * HS), kr = GradCheck.nans(HR * HS), v = GradCheck.nans(HR * HS), rstd = GradCheck.nans(2 * HR);
        AttentionKernels.qkNormRopeForward(qr, kr, v, rstd, qkv, w, Q_OFF, K_OFF, cos, sin, 7, HR, HR, N, NH, HS, EPS);
        AttentionKernels.qkNormRopeForward(qr, kr, v, rstd, qkv, w, Q_OFF, K_OFF, cos, sin, 0, 7, HR, N, NH, HS, EPS);
        assertArrayEquals(ref[0], qr, 0f, "qr");
        assertArrayEquals(ref[1], kr, 0f, "kr");
        assertArrayEquals(ref[2], v, 0f, "v");
        assertArrayEquals(ref[3], rstd, 0f, "rstd");
    }

    /**
     * The fused backward equals ropeBackward, rmsNormBackward and qkvSplitBackward run one after another, and the
     * fused weight gradient equals rmsNormWeightBackward on q and on k, bit for bit; both are the gradients of the
     * fused forward (finite differences), and the weight gradient touches nothing outside q_norm's and k_norm's slices.
     */
    @Test
    void qkNormRopeBackwardEqualsUnfusedAndMatchesFiniteDifferences() {
        var rng = new Rng(12);
        float[] qkv = rng.normal(B * N * 3 * D), wq = rng.normal(HS), wk = rng.normal(HS), w = qkWeights(wq, wk);
        float[] cos = rng.normal(N * HS / 2), sin = rng.normal(N * HS / 2);
        float[] dqr = rng.normal(HR * HS), dkr = rng.normal(HR * HS), dv = rng.normal(HR * HS);
        float[][] f = unfusedForward(qkv, w, cos, sin);
        float[] rstd = f[3], rq = java.util.Arrays.copyOfRange(rstd, 0, HR), rk = java.util.Arrays.copyOfRange(rstd, HR, 2 * HR);

        float[] dqn = new float[HR * HS], dkn = new float[HR * HS], dq = new float[HR * HS], dk = new float[HR * HS];
        RopeKernels.ropeBackward(dqn, dqr, cos, sin, 0, HR, N, HS);
        RopeKernels.ropeBackward(dkn, dkr, cos, sin, 0, HR, N, HS);
        NormKernels.rmsNormBackward(dq, dqn, f[4], w, Q_OFF, rq, 0, HR, HS);
        NormKernels.rmsNormBackward(dk, dkn, f[5], w, K_OFF, rk, 0, HR, HS);
        float[] dqkv = new float[B * N * 3 * D];
        AttentionKernels.qkvSplitBackward(dqkv, dq, dk, dv, 0, HR, N, NH, HS);
        float[] dw = Arena.zerosAt(Q_OFF, K_OFF + HS - Q_OFF);
        NormKernels.rmsNormWeightBackward(dw, Q_OFF, dqn, f[4], rq, 0, HS, HR, HS);
        NormKernels.rmsNormWeightBackward(dw, K_OFF, dkn, f[5], rk, 0, HS, HR, HS);

        float[] dqkvF = GradCheck.nans(B * N * 3 * D), dn = GradCheck.nans(2 * HR * HS);
        AttentionKernels.qkNormRopeBackward(dqkvF, dn, dqr, dkr, dv, qkv, w, Q_OFF, K_OFF, rstd, cos, sin, 0, HR, HR, N, NH, HS);
        float[] dwF = Arena.zerosAt(Q_OFF, K_OFF + HS - Q_OFF);
        AttentionKernels.qkNormWeightBackward(dwF, Q_OFF, K_OFF, dn, qkv, rstd, HS, 2 * HS, HR, N, NH, HS);
        AttentionKernels.qkNormWeightBackward(dwF, Q_OFF, K_OFF, dn, qkv, rstd, 0, HS, HR, N, NH, HS);
        assertArrayEquals(dqkv, dqkvF, 0f, "dqkv");
        assertArrayEquals(dqn, java.util.Arrays.copyOfRange(dn, 0, HR * HS), 0f, "dn of q");
        assertArrayEquals(dkn, java.util.Arrays.copyOfRange(dn, HR * HS, 2 * HR * HS), 0f, "dn of k");
        assertArrayEquals(dw, dwF, 0f, "dw (q_norm, gap, k_norm)");
        Arena.assertOutsideUntouched("dw", dwF, Q_OFF, K_OFF + HS - Q_OFF);
        for (int d = Q_OFF + HS; d < K_OFF; d++) assertEquals(0f, dwF[d], "dw in the gap between q_norm and k_norm");

        java.util.function.BiFunction<float[], float[], Double> loss = (qkvs, ws) -> {
            float[] qr = new float[HR * HS], kr = new float[HR * HS], v = new float[HR * HS];
            AttentionKernels.qkNormRopeForward(qr, kr, v, new float[2 * HR], qkvs, ws, Q_OFF, K_OFF, cos, sin, 0, HR, HR, N, NH, HS, EPS);
            return GradCheck.dot(qr, dqr, HR * HS) + GradCheck.dot(kr, dkr, HR * HS) + GradCheck.dot(v, dv, HR * HS);
        };
        GradCheck.assertDirectional("qkNormRope dqkv", xs -> loss.apply(xs, w), qkv, dqkvF, rng, 1e-2, Tol.GRAD_REL);
        float[] wBoth = new float[2 * HS], dwBoth = new float[2 * HS];
        System.arraycopy(wq, 0, wBoth, 0, HS);
        System.arraycopy(wk, 0, wBoth, HS, HS);
        System.arraycopy(dwF, Q_OFF, dwBoth, 0, HS);
        System.arraycopy(dwF, K_OFF, dwBoth, HS, HS);
        GradCheck.assertDirectional("qkNormRope dw", ws -> loss.apply(qkv, qkWeights(java.util.Arrays.copyOfRange(ws, 0, HS),
                java.util.Arrays.copyOfRange(ws, HS, 2 * HS))), wBoth, dwBoth, rng, 1e-2, Tol.GRAD_REL);
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
