package dip.tornado.exec;

import dip.tornado.kernels.AttentionKernels;
import dip.tornado.kernels.ConvKernels;
import dip.tornado.kernels.ConvTransposeKernels;

/**
 * Where kernels run. Layers reach the math only through an engine: generic kernels through {@link #parallelFor},
 * the hot ones (matmul) through their own methods so an engine can put a faster variant behind them
 * (Vector API on the CPU, a TaskGraph on TornadoVM). Every kernel's {@code @Parallel} loop runs over a range
 * {@code [r0, r1)} passed in as two ints, so the CPU engine can hand each thread a contiguous slice and a
 * TornadoVM task runs the same method with {@code r0 = 0, r1 = R}.
 * <p>The convolutions (the Patch Detailer Head's hot spot) have default methods that run the scalar
 * {@link ConvKernels}/{@link ConvTransposeKernels} through {@link #parallelFor}, so an engine without a faster
 * variant (TornadoEngine) needs nothing; {@link JavaEngine} overrides them with GEMMs ({@link VectorConv}).
 */
public interface Engine extends AutoCloseable {

    /** Short name for logs: "java", "tornado". */
    String name();

    /** Number of worker threads (1 for a device engine's host side). */
    int threads();

    /** Runs {@code body} over [0, n), split into at most {@link #threads()} contiguous slices; returns when all are done. */
    void parallelFor(int n, RangeBody body);

    /** out(R, OUT) = x(R, IN) · w(OUT, IN)ᵀ + b(OUT) (zeros for no bias). Overwrites out. */
    void matmulForward(float[] out, float[] x, float[] w, float[] b, int R, int IN, int OUT);

    /** dx(R, IN) += dout(R, OUT) · w(OUT, IN). */
    void matmulBackwardInput(float[] dx, float[] dout, float[] w, int R, int IN, int OUT);

    /** dw(OUT, IN) += dout(R, OUT)ᵀ · x(R, IN); db(OUT) += Σ_r dout . */
    void matmulBackwardWeight(float[] dw, float[] db, float[] dout, float[] x, int R, int IN, int OUT);

    // ---------------------------------------------------------------------------------------------- convolutions
    // NCHW; x: (B, CI, H, W). Forward overwrites out; backward accumulates into dx, dw, db (see the kernels' javadoc).

    /** Conv2d 3×3, padding 1: out(B, CO, H, W) = conv(x, w(CO, CI, 3, 3)) + bias(CO). */
    default void conv3x3Forward(float[] out, float[] x, float[] w, float[] bias, int B, int CI, int CO, int H, int W) {
        parallelFor(B * CO, (lo, hi) -> ConvKernels.conv3x3Forward(out, x, w, bias, lo, hi, CI, CO, H, W));
    }

    /** dx(B, CI, H, W) += ∂/∂x of {@link #conv3x3Forward} given dout(B, CO, H, W). */
    default void conv3x3BackwardInput(float[] dx, float[] dout, float[] w, int B, int CI, int CO, int H, int W) {
        parallelFor(B * CI, (lo, hi) -> ConvKernels.conv3x3BackwardInput(dx, dout, w, lo, hi, CI, CO, H, W));
    }

    /** dw(CO, CI, 3, 3) += Σ dout ⊗ x-patches; db(CO) += Σ dout. */
    default void conv3x3BackwardWeight(float[] dw, float[] db, float[] dout, float[] x, int B, int CI, int CO, int H, int W) {
        parallelFor(CO * CI, (lo, hi) -> ConvKernels.conv3x3BackwardWeight(dw, db, dout, x, lo, hi, B, CI, CO, H, W));
    }

    /** Conv2d 1×1 over HW pixels: out(B, CO, HW) = w(CO, CI)·x(B, CI, HW) + bias(CO). */
    default void conv1x1Forward(float[] out, float[] x, float[] w, float[] bias, int B, int CI, int CO, int HW) {
        parallelFor(B * CO, (lo, hi) -> ConvKernels.conv1x1Forward(out, x, w, bias, lo, hi, CI, CO, HW));
    }

    /** dx(B, CI, HW) += w(CO, CI)ᵀ·dout(B, CO, HW). */
    default void conv1x1BackwardInput(float[] dx, float[] dout, float[] w, int B, int CI, int CO, int HW) {
        parallelFor(B * CI, (lo, hi) -> ConvKernels.conv1x1BackwardInput(dx, dout, w, lo, hi, CI, CO, HW));
    }

    /** dw(CO, CI) += Σ_b dout_b·x_bᵀ; db(CO) += Σ dout. */
    default void conv1x1BackwardWeight(float[] dw, float[] db, float[] dout, float[] x, int B, int CI, int CO, int HW) {
        parallelFor(CO * CI, (lo, hi) -> ConvKernels.conv1x1BackwardWeight(dw, db, dout, x, lo, hi, B, CI, CO, HW));
    }

    /** ConvTranspose2d k2 s2: out(B, CO, 2H, 2W), w(CI, CO, 2, 2), bias(CO). */
    default void convTranspose2x2Forward(float[] out, float[] x, float[] w, float[] bias, int B, int CI, int CO, int H, int W) {
        parallelFor(B * CO, (lo, hi) -> ConvTransposeKernels.convTranspose2x2Forward(out, x, w, bias, lo, hi, CI, CO, H, W));
    }

    /** dx(B, CI, H, W) += ∂/∂x of {@link #convTranspose2x2Forward} given dout(B, CO, 2H, 2W). */
    default void convTranspose2x2BackwardInput(float[] dx, float[] dout, float[] w, int B, int CI, int CO, int H, int W) {
        parallelFor(B * CI, (lo, hi) -> ConvTransposeKernels.convTranspose2x2BackwardInput(dx, dout, w, lo, hi, CI, CO, H, W));
    }

    /** dw(CI, CO, 2, 2) += Σ x ⊗ dout-blocks; db(CO) += Σ dout. */
    default void convTranspose2x2BackwardWeight(float[] dw, float[] db, float[] dout, float[] x, int B, int CI, int CO, int H, int W) {
        parallelFor(CI * CO, (lo, hi) ->
                ConvTransposeKernels.convTranspose2x2BackwardWeight(dw, db, dout, x, lo, hi, B, CI, CO, H, W));
    }

    // ------------------------------------------------------------------------------------------------ attention
    // q, k, v, out, dq, dk, dv, dout: (BH, N, HS); att, dpre: (BH, N, N), BH = B·NH heads.

    /** out, att = softmax(q·kᵀ·scale)·v per head, as {@link AttentionKernels#attentionForward}. Overwrites out, att. */
    default void attentionForward(float[] out, float[] att, float[] q, float[] k, float[] v, int BH, int N, int HS, float scale) {
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.attentionForward(out, att, q, k, v, lo, hi, N, HS, scale));
    }

    /**
     * Backward of {@link #attentionForward}: writes dpre = dL/dS (scratch), accumulates dq, dk, dv, as
     * {@link AttentionKernels#attentionBackwardQuery} then {@link AttentionKernels#attentionBackwardKeyValue}.
     */
    default void attentionBackward(float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                                   float[] v, float[] att, int BH, int N, int HS, float scale) {
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.attentionBackwardQuery(dq, dpre, dout, q, k, v, att, lo, hi, N, HS, scale));
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.attentionBackwardKeyValue(dk, dv, dout, q, att, dpre, lo, hi, N, HS, scale));
    }

    @Override
    default void close() {
    }
}
