package dip.tornado.exec;

import dip.tornado.kernels.AttentionKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax attention on the Vector API: the same math as the {@link AttentionKernels} that {@code Engine}'s
 * attentionForward and attentionBackward run (scores, softmax, values; and back), one head at a time, with the
 * (b, h) heads split across the engine's threads (each head's slices are contiguous: q, k, v, out, dq, dk, dv are
 * N×HS at bh·N·HS; att, dpre are N×N at bh·N·N). Inside a head every product is "a row times a matrix" with
 * four vectors of outputs held in registers over the whole inner sum (rowTimes; a masked vector for the tail):
 * S_i = q_i·kᵀ and dP_i = dout_i·vᵀ against per-thread transposed copies of k, v (HS×N); out_i = P_i·v and
 * dq_i = dS_i·k straight from the row-major head; dv_j = (Pᵀ)_j·dout and dk_j = (dSᵀ)_j·q against transposed
 * copies of the head's P and dS (N×N each). The softmax and the dS line are scalar, the same lines as the kernels'.
 * Writes exactly what the kernels do; only the rounding differs. VectorAttentionTest holds this class
 * to the scalar kernels (out, the softmax probabilities att, dS = dpre, dq, dk, dv) on odd and XL shapes.
 */
final class VectorAttention {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** Per-thread scratch for the transposes (and one HS row), grown on demand. */
    private static final ThreadLocal<float[]> T_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private VectorAttention() {
    }

    private static float[] scratch(int n) {
        float[] t = T_SCRATCH.get();
        if (t.length < n) {
            t = new float[n];
            T_SCRATCH.set(t);
        }
        return t;
    }

    /** out, att as {@link Engine#attentionForward} over all BH·N query rows. */
    static void forward(Engine e, float[] out, float[] att, float[] q, float[] k, float[] v, int BH, int N, int HS, float scale) {
        e.parallelFor(BH, (lo, hi) -> {
            float[] t = scratch(HS * N);
            for (int bh = lo; bh < hi; bh++) forwardHead(out, att, q, k, v, t, bh, N, HS, scale);
        });
    }

    private static void forwardHead(float[] out, float[] att, float[] q, float[] k, float[] v, float[] t,
                                    int bh, int N, int HS, float scale) {
        int base = bh * N;                                     // t: kᵀ
        transpose(t, 0, k, base * HS, N, HS);
        for (int i = 0; i < N; i++) {
            int qRow = (base + i) * HS, attRow = (base + i) * N;
            rowTimes(att, attRow, q, qRow, t, 0, N, HS, N);            // q_i·k_j for all j
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < N; j++) {
                float s = att[attRow + j] * scale;
                att[attRow + j] = s;
                if (s > max) max = s;
            }
            float sum = 0f;
            for (int j = 0; j < N; j++) {
                float ex = (float) Math.exp(att[attRow + j] - max);
                att[attRow + j] = ex;
                sum += ex;
            }
            float inv = 1f / sum;
            for (int j = 0; j < N; j++) att[attRow + j] *= inv;
            rowTimes(out, qRow, att, attRow, v, base * HS, HS, N, HS);             // out_i = Σ_j P_j v_j
        }
    }

    /**
     * dpre, dq, dk, dv written as {@link Engine#attentionBackward} over all BH·N rows.
     */
    static void backward(Engine e, float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                         float[] v, float[] att, int BH, int N, int HS, float scale) {
        e.parallelFor(BH, (lo, hi) -> {
            float[] t = scratch(HS * N + 2 * N * N + HS);
            for (int bh = lo; bh < hi; bh++) backwardHead(dq, dk, dv, dpre, dout, q, k, v, att, t, bh, N, HS, scale);
        });
    }

    private static void backwardHead(float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                                     float[] v, float[] att, float[] t, int bh, int N, int HS, float scale) {
        int base = bh * N, pT = HS * N, sT = pT + N * N, tmp = sT + N * N;   // t: vᵀ, Pᵀ, dSᵀ, a row of HS
        transpose(t, 0, v, base * HS, N, HS);
        for (int i = 0; i < N; i++) {
            int qRow = (base + i) * HS, attRow = (base + i) * N;
            // dP_j = dout_i·v_j, as a row update over j against vᵀ
            rowTimes(dpre, attRow, dout, qRow, t, 0, N, HS, N);
            float dot = 0f;
            for (int j = 0; j < N; j++) dot += att[attRow + j] * dpre[attRow + j];
            for (int j = 0; j < N; j++) dpre[attRow + j] = att[attRow + j] * (dpre[attRow + j] - dot);   // dS_ij
            rowTimes(t, tmp, dpre, attRow, k, base * HS, HS, N, HS);                    // dq_i = scale · Σ_j dS_ij k_j
            for (int d = 0; d < HS; d++) dq[qRow + d] = scale * t[tmp + d];
        }
        // dv_j = Σ_i P_ij dout_i; dk_j = scale · Σ_i dS_ij q_i: rows of Pᵀ (dSᵀ) times the head's dout (q)
        transpose(t, pT, att, base * N, N, N);
        transpose(t, sT, dpre, base * N, N, N);
        for (int j = 0; j < N; j++) {
            int jRow = (base + j) * HS;
            rowTimes(t, tmp, t, pT + j * N, dout, base * HS, HS, N, HS);
            for (int d = 0; d < HS; d++) dv[jRow + d] = t[tmp + d];
            rowTimes(t, tmp, t, sT + j * N, q, base * HS, HS, N, HS);
            for (int d = 0; d < HS; d++) dk[jRow + d] = scale * t[tmp + d];
        }
    }

    /** t[tOff..] (C×R) = the R×C block of src at off, transposed. */
    private static void transpose(float[] t, int tOff, float[] src, int off, int R, int C) {
        for (int r = 0; r < R; r++) {
            int row = off + r * C;
            for (int c = 0; c < C; c++) t[tOff + c * R + r] = src[row + c];
        }
    }

    /**
     * dst[dstOff + j] = Σ_d a[aOff + d] · t[tOff + d·ldt + j] for j < N (a row times a K×N matrix), overwriting;
     * four vectors of j kept in registers across the whole d loop.
     */
    private static void rowTimes(float[] dst, int dstOff, float[] a, int aOff, float[] t, int tOff, int ldt, int K, int N) {
        int j = 0;
        for (; j + 4 * L <= N; j += 4 * L) {
            FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
            for (int d = 0; d < K; d++) {
                FloatVector ad = FloatVector.broadcast(S, a[aOff + d]);
                int r = tOff + d * ldt + j;
                c0 = FloatVector.fromArray(S, t, r).fma(ad, c0);
                c1 = FloatVector.fromArray(S, t, r + L).fma(ad, c1);
                c2 = FloatVector.fromArray(S, t, r + 2 * L).fma(ad, c2);
                c3 = FloatVector.fromArray(S, t, r + 3 * L).fma(ad, c3);
            }
            c0.intoArray(dst, dstOff + j);
            c1.intoArray(dst, dstOff + j + L);
            c2.intoArray(dst, dstOff + j + 2 * L);
            c3.intoArray(dst, dstOff + j + 3 * L);
        }
        for (; j + L <= N; j += L) {
            FloatVector c = FloatVector.zero(S);
            for (int d = 0; d < K; d++) c = FloatVector.fromArray(S, t, tOff + d * ldt + j).fma(FloatVector.broadcast(S, a[aOff + d]), c);
            c.intoArray(dst, dstOff + j);
        }
        if (j < N) {                                           // the tail as one masked vector
            VectorMask<Float> m = S.indexInRange(j, N);
            FloatVector c = FloatVector.zero(S);
            for (int d = 0; d < K; d++) c = FloatVector.fromArray(S, t, tOff + d * ldt + j, m).fma(FloatVector.broadcast(S, a[aOff + d]), c);
            c.intoArray(dst, dstOff + j, m);
        }
    }
}
