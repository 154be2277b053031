package dip.tornado.kernels;

/**
 * For tests: softmax attention's forward and backward as {@code Engine}'s defaults run them, the kernels of
 * {@link AttentionKernels} in order over all R = BH·N rows on the calling thread.
 */
public final class AttentionSteps {
    private AttentionSteps() {
    }

    /** out, att = softmax(q·kᵀ·scale)·v: scores, softmax, values. */
    public static void forward(float[] out, float[] att, float[] q, float[] k, float[] v, int R, int N, int HS, float scale) {
        AttentionKernels.headDots(att, q, k, 0, R, N, HS, scale);
        AttentionKernels.softmaxRows(att, 0, R, N);
        AttentionKernels.headWeightedSum(out, att, v, 0, R, N, HS, 1f);
    }

    /** dpre = dL/dS written; dq, dk, dv accumulated. */
    public static void backward(float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                                float[] v, float[] att, int R, int N, int HS, float scale) {
        AttentionKernels.headDots(dpre, dout, v, 0, R, N, HS, 1f);
        AttentionKernels.softmaxBackwardRows(dpre, att, 0, R, N);
        AttentionKernels.headWeightedSum(dq, dpre, k, 0, R, N, HS, scale);
        AttentionKernels.attentionBackwardKeyValue(dk, dv, dout, q, att, dpre, 0, R, N, HS, scale);
    }
}
