package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * Multi-head softmax attention without mask, plus the head split/merge around it (timm/PixNerd layout).
 * Layouts: qkv (B·N, 3D) is the Linear output, read as {@code qkv.reshape(B, N, 3, NH, HS)}: column
 * s·D + h·HS + d holds q (s = 0), k (s = 1) or v (s = 2) of head h. q, k, v, o: (B, NH, N, HS), i.e. B·NH·N
 * "head rows" of HS. att, dpre: (B, NH, N, N). The merged output is (B·N, D) with head h at columns h·HS..
 * Not here: the qkv/proj matmuls. The q/k norm and RoPE are NormKernels' and RopeKernels'; the pass that a DiP
 * block runs between the qkv matmul and the attention (split, q/k norm, RoPE) is fused below, from their row helpers.
 */
public final class AttentionKernels {
    private AttentionKernels() {
    }

    // ------------------------------------------------------------------------------------- split and merge

    /**
     * Where head row r = (b·NH + h)·N + n starts in qkv (B·N, 3D): q's first column of head h on token row b·N + n
     * (k's is D further, v's 2D). The layout rule of every kernel that reads or writes qkv by head rows.
     */
    public static int qkvColumn(int r, int N, int NH, int HS) {
        int n = r % N, h = (r / N) % NH, b = r / (N * NH);
        return (b * N + n) * 3 * NH * HS + h * HS;
    }

    /**
     * Writes head rows [r0, r1) of q, k, v (B·NH·N, HS): for r = (b·NH + h)·N + n,
     * q[r, d] = qkv[b·N + n, h·HS + d], k[r, d] = qkv[.., D + h·HS + d], v[r, d] = qkv[.., 2D + h·HS + d].
     */
    public static void qkvSplit(float[] q, float[] k, float[] v, float[] qkv, int r0, int r1, int N, int NH, int HS) {
        int D = NH * HS;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int src = qkvColumn(r, N, NH, HS), dst = r * HS;
            for (int d = 0; d < HS; d++) {
                q[dst + d] = qkv[src + d];
                k[dst + d] = qkv[src + D + d];
                v[dst + d] = qkv[src + 2 * D + d];
            }
        }
    }

    /**
     * Writes the columns of dqkv (B·N, 3D) owned by head rows [r0, r1): the transpose of qkvSplit.
     * Forward was: q[r, d] = qkv[b·N + n, h·HS + d] (and k, v at offsets D, 2D).
     */
    public static void qkvSplitBackward(float[] dqkv, float[] dq, float[] dk, float[] dv,
                                        int r0, int r1, int N, int NH, int HS) {
        int D = NH * HS;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int dst = qkvColumn(r, N, NH, HS), src = r * HS;
            for (int d = 0; d < HS; d++) {
                dqkv[dst + d] = dq[src + d];
                dqkv[dst + D + d] = dk[src + d];
                dqkv[dst + 2 * D + d] = dv[src + d];
            }
        }
    }

    /**
     * What a DiP block runs between its qkv matmul and the attention, in one pass per head row r = (b·NH + h)·N + n:
     * v[r] = the v columns of qkv (as {@link #qkvSplit}); qr[r] = RoPE(RMSNorm(q columns) · q_norm) and
     * kr[r] = RoPE(RMSNorm(k columns) · k_norm), each as {@link NormKernels#rmsNormForward} then
     * {@link RopeKernels#ropeForward}. One launch instead of five (split, two norms, two rotations); the un-normed q
     * and k are not copied out: the backward reads them from qkv. Writes head rows [r0, r1) of qr, kr, v
     * (B·NH·N, HS) and rstd (2·rows): q's at [r], k's at [rows + r]. w holds q_norm at qOff and k_norm at kOff (the
     * model's weight array); cos, sin: (N, HS/2).
     */
    public static void qkNormRopeForward(float[] qr, float[] kr, float[] v, float[] rstd, float[] qkv,
                                         float[] w, int qOff, int kOff, float[] cos, float[] sin,
                                         int r0, int r1, int rows, int N, int NH, int HS, float eps) {
        int D = NH * HS, half = HS / 2;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int src = qkvColumn(r, N, NH, HS), dst = r * HS, tab = (r % N) * half;
            rstd[r] = NormKernels.rmsNormRow(qr, dst, qkv, src, w, qOff, HS, eps);
            RopeKernels.ropeRow(qr, dst, qr, dst, cos, sin, tab, half);
            rstd[rows + r] = NormKernels.rmsNormRow(kr, dst, qkv, src + D, w, kOff, HS, eps);
            RopeKernels.ropeRow(kr, dst, kr, dst, cos, sin, tab, half);
            for (int d = 0; d < HS; d++) v[dst + d] = qkv[src + 2 * D + d];
        }
    }

    /**
     * Backward of {@link #qkNormRopeForward}, one pass per head row: the rotation back ({@link RopeKernels#ropeBackward})
     * gives dn, the gradient at the norms' outputs, kept for {@link #qkNormWeightBackward} (q's at rows [0, rows),
     * k's at [rows, 2·rows) of dn (2·rows, HS)); the norms' input gradients and dv are written into their columns
     * of dqkv (B·N, 3D), as {@link #qkvSplitBackward}. dqr, dkr, dv: (B·NH·N, HS), from the attention's backward.
     */
    public static void qkNormRopeBackward(float[] dqkv, float[] dn, float[] dqr, float[] dkr, float[] dv, float[] qkv,
                                          float[] w, int qOff, int kOff, float[] rstd, float[] cos, float[] sin,
                                          int r0, int r1, int rows, int N, int NH, int HS) {
        int D = NH * HS, half = HS / 2;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int col = qkvColumn(r, N, NH, HS), row = r * HS, tab = (r % N) * half, kRow = (rows + r) * HS;
            RopeKernels.ropeBackwardRow(dn, row, dqr, row, cos, sin, tab, half);
            NormKernels.rmsNormBackwardRow(dqkv, col, dn, row, qkv, col, w, qOff, rstd[r], HS, 0);
            RopeKernels.ropeBackwardRow(dn, kRow, dkr, row, cos, sin, tab, half);
            NormKernels.rmsNormBackwardRow(dqkv, col + D, dn, kRow, qkv, col + D, w, kOff, rstd[rows + r], HS, 0);
            for (int d = 0; d < HS; d++) dqkv[col + 2 * D + d] = dv[row + d];
        }
    }

    /**
     * The q_norm and k_norm weight gradients of {@link #qkNormRopeForward}, as {@link NormKernels#rmsNormWeightBackward}
     * on each: for column j in [j0, j1) of 2·HS (j &lt; HS: q_norm's d = j, else k_norm's d = j − HS),
     * dw[off + d] += Σ_r dn[s·rows + r, d] · x[r, d] · rstd[s·rows + r], s = 0 for q, 1 for k, x the un-normed q or k
     * read from qkv. dn, rstd: from the backward and forward above.
     */
    public static void qkNormWeightBackward(float[] dw, int qOff, int kOff, float[] dn, float[] qkv, float[] rstd,
                                            int j0, int j1, int rows, int N, int NH, int HS) {
        int D = NH * HS;
        for (@Parallel int it = 0; it < j1 - j0; it++) {
            int j = j0 + it;
            int s = j / HS, d = j - s * HS;
            float acc = 0f;
            for (int r = 0; r < rows; r++) {
                int col = qkvColumn(r, N, NH, HS) + s * D + d;
                acc += dn[(s * rows + r) * HS + d] * qkv[col] * rstd[s * rows + r];
            }
            dw[(s == 0 ? qOff : kOff) + d] += acc;
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

    /** Writes dO[r, d] = dout[b·N + n, h·HS + d] for head rows [r0, r1). Forward was: headsMerge. */
    public static void headsMergeBackward(float[] dO, float[] dout, int r0, int r1, int N, int NH, int HS) {
        int D = NH * HS;
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            int n = r % N, h = (r / N) % NH, b = r / (N * NH);
            int src = (b * N + n) * D + h * HS, dst = r * HS;
            for (int d = 0; d < HS; d++) dO[dst + d] = dout[src + d];
        }
    }

    // ------------------------------------------------------------------------------------ softmax attention

    // One head's rows: r = bh·N + i (bh = b·NH + h); its keys and values are rows bh·N .. bh·N + N − 1. A forward is
    // three kernels and a backward four, so each work-item owns one element it writes; the row-wide steps (softmax
    // and its backward) are the only kernels with one work-item per row. Two products serve both directions:
    //   forward   att  = scale·q·kᵀ (headDots)      softmaxRows          out = att·v (headWeightedSum)
    //   backward  dpre = dout·vᵀ    (headDots)      softmaxBackwardRows  dq  = scale·dpre·k (headWeightedSum)
    //             dk, dv (attentionBackwardKeyValue)

    /**
     * Over rows [r0, r1) × the N rows j of r's head: out[r, j] = scale · a_r·b_j, with a, b: (B·NH·N, HS) and
     * out: (B·NH·N, N). Forward: the raw scores att = scale·q·kᵀ ({@link #softmaxRows} turns them into probabilities
     * in place). Backward: dP = dout·vᵀ (scale 1) into the scratch dpre; forward was out_r = Σ_j P_j v_j.
     */
    public static void headDots(float[] out, float[] a, float[] b, int r0, int r1, int N, int HS, float scale) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int j = 0; j < N; j++) {
                int r = r0 + it;
                int aRow = r * HS, bRow = ((r / N) * N + j) * HS;
                float s = 0f;
                for (int d = 0; d < HS; d++) s += a[aRow + d] * b[bRow + d];
                out[r * N + j] = s * scale;
            }
        }
    }

    /** Forward, over rows [r0, r1) of att (·, N): att[r, :] = softmax(att[r, :]), shifted by the row's max. */
    public static void softmaxRows(float[] att, int r0, int r1, int N) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int a = (r0 + it) * N;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < N; j++) max = Math.max(max, att[a + j]);
            float sum = 0f;
            for (int j = 0; j < N; j++) {
                float e = (float) Math.exp(att[a + j] - max);
                att[a + j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int j = 0; j < N; j++) att[a + j] *= inv;
        }
    }

    /**
     * Over rows [r0, r1) × d: out[r, d] = scale · Σ_j p[r, j] · m[j, d], j over the N rows of r's head, with
     * p: (B·NH·N, N) and m, out: (B·NH·N, HS). Forward: the values out = P·v (scale 1, P = att). Backward:
     * dq = scale·dS·k (dS = dpre); forward was S[r, j] = scale · q_r·k_j.
     */
    public static void headWeightedSum(float[] out, float[] p, float[] m, int r0, int r1, int N, int HS, float scale) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int d = 0; d < HS; d++) {
                int r = r0 + it;
                int a = r * N, mCol = (r / N) * N * HS + d;
                float acc = 0f;
                for (int j = 0; j < N; j++) acc += p[a + j] * m[mCol + j * HS];
                out[r * HS + d] = scale * acc;
            }
        }
    }

    /**
     * Backward, over rows [r0, r1): dpre[r, j] = dS_j = P_j·(dP_j − Σ_l P_l dP_l) in place, with P = att.
     * Forward was: P = softmax(S).
     */
    public static void softmaxBackwardRows(float[] dpre, float[] att, int r0, int r1, int N) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int a = (r0 + it) * N;
            float dot = 0f;
            for (int j = 0; j < N; j++) dot += att[a + j] * dpre[a + j];
            for (int j = 0; j < N; j++) dpre[a + j] = att[a + j] * (dpre[a + j] - dot);
        }
    }

    /**
     * Backward, over key rows [r0, r1) (r = bh·N + j) × d: dv[r, d] = Σ_i P[i, j] · dout[i, d] and
     * dk[r, d] = scale · Σ_i dS[i, j] · q[i, d], with P = att and dS = dpre, i over the queries of the same head.
     * Forward was: S[i, j] = scale · q_i·k_j; out_i = Σ_j P[i, j] v_j.
     */
    public static void attentionBackwardKeyValue(float[] dk, float[] dv, float[] dout, float[] q, float[] att,
                                                 float[] dpre, int r0, int r1, int N, int HS, float scale) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            for (@Parallel int d = 0; d < HS; d++) {
                int r = r0 + it;
                int base = (r / N) * N, j = r - base;
                float accV = 0f, accK = 0f;
                for (int i = 0; i < N; i++) {
                    int a = (base + i) * N + j, row = (base + i) * HS + d;
                    accV += att[a] * dout[row];
                    accK += dpre[a] * q[row];
                }
                dv[r * HS + d] = accV;
                dk[r * HS + d] = scale * accK;
            }
        }
    }
}
