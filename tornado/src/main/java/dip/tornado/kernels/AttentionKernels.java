package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Multi-head softmax attention without mask, plus the head split/merge around it (timm/PixNerd layout).
 * Layouts: qkv (B·N, 3D) is the Linear output, read as {@code qkv.reshape(B, N, 3, NH, HS)}: column
 * s·D + h·HS + d holds q (s = 0), k (s = 1) or v (s = 2) of head h. q, k, v, o: (B, NH, N, HS), i.e. B·NH·N
 * "head rows" of HS. att, dpre: (B, NH, N, N). The merged output is (B·N, D) with head h at columns h·HS..
 * Not here: the qkv/proj matmuls, q/k norm and RoPE (see NormKernels, RopeKernels).
 */
public final class AttentionKernels {
    private AttentionKernels() {
    }

    // ------------------------------------------------------------------------------------- split and merge

    /**
     * Writes head rows [r0, r1) of q, k, v (B·NH·N, HS): for r = (b·NH + h)·N + n,
     * q[r, d] = qkv[b·N + n, h·HS + d], k[r, d] = qkv[.., D + h·HS + d], v[r, d] = qkv[.., 2D + h·HS + d].
     */
    public static void qkvSplit(float[] q, float[] k, float[] v, float[] qkv, int r0, int r1, int N, int NH, int HS) {
        int D = NH * HS;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int n = r % N, h = (r / N) % NH, b = r / (N * NH);
            int src = (b * N + n) * 3 * D + h * HS, dst = r * HS;
            for (int d = 0; d < HS; d++) {
                q[dst + d] = qkv[src + d];
                k[dst + d] = qkv[src + D + d];
                v[dst + d] = qkv[src + 2 * D + d];
            }
        }
    }

    /**
     * Accumulates into dqkv (B·N, 3D) the columns owned by head rows [r0, r1): the transpose of qkvSplit.
     * Forward was: q[r, d] = qkv[b·N + n, h·HS + d] (and k, v at offsets D, 2D).
     */
    public static void qkvSplitBackward(float[] dqkv, float[] dq, float[] dk, float[] dv,
                                        int r0, int r1, int N, int NH, int HS) {
        int D = NH * HS;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int n = r % N, h = (r / N) % NH, b = r / (N * NH);
            int dst = (b * N + n) * 3 * D + h * HS, src = r * HS;
            for (int d = 0; d < HS; d++) {
                dqkv[dst + d] += dq[src + d];
                dqkv[dst + D + d] += dk[src + d];
                dqkv[dst + 2 * D + d] += dv[src + d];
            }
        }
    }

    /**
     * Writes out (B·N, D) from head rows [r0, r1) of o (B·NH·N, HS): out[b·N + n, h·HS + d] = o[r, d]
     * ({@code o.transpose(1, 2).reshape(B, N, D)}).
     */
    public static void headsMerge(float[] out, float[] o, int r0, int r1, int N, int NH, int HS) {
        int D = NH * HS;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int n = r % N, h = (r / N) % NH, b = r / (N * NH);
            int dst = (b * N + n) * D + h * HS, src = r * HS;
            for (int d = 0; d < HS; d++) out[dst + d] = o[src + d];
        }
    }

    /** Accumulates do[r, d] += dout[b·N + n, h·HS + d] for head rows [r0, r1). Forward was: headsMerge. */
    public static void headsMergeBackward(float[] dO, float[] dout, int r0, int r1, int N, int NH, int HS) {
        int D = NH * HS;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int n = r % N, h = (r / N) % NH, b = r / (N * NH);
            int src = (b * N + n) * D + h * HS, dst = r * HS;
            for (int d = 0; d < HS; d++) dO[dst + d] += dout[src + d];
        }
    }

    // ------------------------------------------------------------------------------------ softmax attention

    /**
     * Writes query rows [r0, r1) (r = bh·N + i over B·NH·N): S_j = scale · q_i·k_j, P = softmax_j(S) (max-shifted),
     * att[r, j] = P_j (cached for backward), out[r, :] = Σ_j P_j v_j.
     * q, k, v, out: (B·NH·N, HS); att: (B·NH·N, N).
     */
    public static void attentionForward(float[] out, float[] att, float[] q, float[] k, float[] v,
                                        int r0, int r1, int N, int HS, float scale) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int base = (r / N) * N;                            // first key/value row of this (b, h)
            int qRow = r * HS, attRow = r * N;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < N; j++) {
                int kRow = (base + j) * HS;
                float s = 0f;
                for (int d = 0; d < HS; d++) s += q[qRow + d] * k[kRow + d];
                s *= scale;
                att[attRow + j] = s;
                if (s > max) max = s;
            }
            float sum = 0f;
            for (int j = 0; j < N; j++) {
                float e = (float) Math.exp(att[attRow + j] - max);
                att[attRow + j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int j = 0; j < N; j++) att[attRow + j] *= inv;
            for (int d = 0; d < HS; d++) out[qRow + d] = 0f;
            for (int j = 0; j < N; j++) {
                float p = att[attRow + j];
                int vRow = (base + j) * HS;
                for (int d = 0; d < HS; d++) out[qRow + d] += p * v[vRow + d];
            }
        }
    }

    /**
     * Backward, part 1, over query rows [r0, r1): dP_j = dout_i·v_j, dS_j = P_j·(dP_j − Σ_l P_l dP_l);
     * writes dpre[r, j] = dS_j (a scratch (B·NH·N, N) read by attentionBackwardKeyValue) and accumulates
     * dq[r, :] += scale · Σ_j dS_j k_j.
     * Forward was: S_j = scale · q_i·k_j; P = softmax(S); out_i = Σ_j P_j v_j.
     */
    public static void attentionBackwardQuery(float[] dq, float[] dpre, float[] dout, float[] q, float[] k,
                                              float[] v, float[] att, int r0, int r1, int N, int HS, float scale) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int base = (r / N) * N;
            int qRow = r * HS, attRow = r * N;
            float dot = 0f;                                    // Σ_l P_l dP_l
            for (int j = 0; j < N; j++) {
                int vRow = (base + j) * HS;
                float dp = 0f;
                for (int d = 0; d < HS; d++) dp += dout[qRow + d] * v[vRow + d];
                dpre[attRow + j] = dp;
                dot += att[attRow + j] * dp;
            }
            for (int j = 0; j < N; j++) {
                float ds = att[attRow + j] * (dpre[attRow + j] - dot);
                dpre[attRow + j] = ds;
                int kRow = (base + j) * HS;
                for (int d = 0; d < HS; d++) dq[qRow + d] += scale * ds * k[kRow + d];
            }
        }
    }

    /**
     * Backward, part 2, over key rows [r0, r1) (r = bh·N + j): accumulates dv[r, :] += Σ_i P[i, j] · dout_i and
     * dk[r, :] += scale · Σ_i dS[i, j] · q_i, with P = att and dS = dpre from attentionBackwardQuery.
     * Forward was: S[i, j] = scale · q_i·k_j; out_i = Σ_j P[i, j] v_j.
     */
    public static void attentionBackwardKeyValue(float[] dk, float[] dv, float[] dout, float[] q, float[] att,
                                                 float[] dpre, int r0, int r1, int N, int HS, float scale) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int base = (r / N) * N, j = r % N;
            int kRow = r * HS;
            for (int i = 0; i < N; i++) {
                int qRow = (base + i) * HS, a = (base + i) * N + j;
                float p = att[a], ds = scale * dpre[a];
                for (int d = 0; d < HS; d++) {
                    dv[kRow + d] += p * dout[qRow + d];
                    dk[kRow + d] += ds * q[qRow + d];
                }
            }
        }
    }
}
