package dip.tornado.exec;

import dip.tornado.kernels.AttentionKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax attention on the Vector API: the same math as {@link AttentionKernels#attentionForward},
 * {@link AttentionKernels#attentionBackwardQuery} and {@link AttentionKernels#attentionBackwardKeyValue}, with the
 * (b, h) heads split across the engine's threads (each head's slices are contiguous: q, k, v, out, dq, dk, dv are
 * N×HS at bh·N·HS; att, dpre are N×N at bh·N·N). Inside a head every product is an axpy over a contiguous row
 * (no horizontal reductions): scores against a transposed copy of k (HS×N, per-thread scratch), P·v and the
 * gradients as row updates over HS. Writes and accumulates exactly what the kernels do; only the rounding differs.
 */
final class VectorAttention {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** Per-thread transpose scratch (HS×N), grown on demand. */
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

    /** out, att as {@link AttentionKernels#attentionForward} over all BH·N query rows. */
    static void forward(Engine e, float[] out, float[] att, float[] q, float[] k, float[] v, int BH, int N, int HS, float scale) {
        e.parallelFor(BH, (lo, hi) -> {
            float[] kT = scratch(HS * N);
            for (int bh = lo; bh < hi; bh++) forwardHead(out, att, q, k, v, kT, bh, N, HS, scale);
        });
    }

    private static void forwardHead(float[] out, float[] att, float[] q, float[] k, float[] v, float[] kT,
                                    int bh, int N, int HS, float scale) {
        int base = bh * N;
        transpose(kT, k, base * HS, N, HS);
        for (int i = 0; i < N; i++) {
            int qRow = (base + i) * HS, attRow = (base + i) * N;
            java.util.Arrays.fill(att, attRow, attRow + N, 0f);
            for (int d = 0; d < HS; d++) axpy(att, attRow, q[qRow + d], kT, d * N, N);
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
            java.util.Arrays.fill(out, qRow, qRow + HS, 0f);
            for (int j = 0; j < N; j++) axpy(out, qRow, att[attRow + j], v, (base + j) * HS, HS);
        }
    }

    /**
     * dpre written, dq, dk, dv accumulated as {@link AttentionKernels#attentionBackwardQuery} followed by
     * {@link AttentionKernels#attentionBackwardKeyValue} over all BH·N rows.
     */
    static void backward(Engine e, float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                         float[] v, float[] att, int BH, int N, int HS, float scale) {
        e.parallelFor(BH, (lo, hi) -> {
            float[] vT = scratch(HS * N);
            for (int bh = lo; bh < hi; bh++) backwardHead(dq, dk, dv, dpre, dout, q, k, v, att, vT, bh, N, HS, scale);
        });
    }

    private static void backwardHead(float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                                     float[] v, float[] att, float[] vT, int bh, int N, int HS, float scale) {
        int base = bh * N;
        transpose(vT, v, base * HS, N, HS);
        for (int i = 0; i < N; i++) {
            int qRow = (base + i) * HS, attRow = (base + i) * N;
            // dP_j = dout_i·v_j, as a row update over j against vᵀ
            java.util.Arrays.fill(dpre, attRow, attRow + N, 0f);
            for (int d = 0; d < HS; d++) axpy(dpre, attRow, dout[qRow + d], vT, d * N, N);
            float dot = 0f;
            for (int j = 0; j < N; j++) dot += att[attRow + j] * dpre[attRow + j];
            for (int j = 0; j < N; j++) {
                float p = att[attRow + j];
                float ds = p * (dpre[attRow + j] - dot);
                dpre[attRow + j] = ds;
                int jRow = (base + j) * HS;
                float sds = scale * ds;
                axpy(dq, qRow, sds, k, jRow, HS);               // dq_i += scale · dS_ij k_j
                axpy2(dv, dk, jRow, p, dout, sds, q, qRow, HS);  // dv_j += P_ij dout_i; dk_j += scale · dS_ij q_i
            }
        }
    }

    /** t (HS×N) = the N×HS block of src at off, transposed. */
    private static void transpose(float[] t, float[] src, int off, int N, int HS) {
        for (int j = 0; j < N; j++) {
            int row = off + j * HS;
            for (int d = 0; d < HS; d++) t[d * N + j] = src[row + d];
        }
    }

    /** y[yOff, +n) += a · x[xOff, +n). */
    private static void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        int i = 0, up = S.loopBound(n);
        if (up > 0) {
            FloatVector va = FloatVector.broadcast(S, a);
            for (; i < up; i += L) {
                FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
    }

    /** y1[off, +n) += a1 · x1[xOff, +n); y2[off, +n) += a2 · x2[xOff, +n). */
    private static void axpy2(float[] y1, float[] y2, int off, float a1, float[] x1, float a2, float[] x2, int xOff, int n) {
        int i = 0, up = S.loopBound(n);
        if (up > 0) {
            FloatVector v1 = FloatVector.broadcast(S, a1), v2 = FloatVector.broadcast(S, a2);
            for (; i < up; i += L) {
                FloatVector.fromArray(S, x1, xOff + i).fma(v1, FloatVector.fromArray(S, y1, off + i)).intoArray(y1, off + i);
                FloatVector.fromArray(S, x2, xOff + i).fma(v2, FloatVector.fromArray(S, y2, off + i)).intoArray(y2, off + i);
            }
        }
        for (; i < n; i++) {
            y1[off + i] = Math.fma(a1, x1[xOff + i], y1[off + i]);
            y2[off + i] = Math.fma(a2, x2[xOff + i], y2[off + i]);
        }
    }
}
