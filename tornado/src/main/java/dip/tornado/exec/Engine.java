package dip.tornado.exec;

import dip.tornado.kernels.ActivationKernels;
import dip.tornado.kernels.AdaLnKernels;
import dip.tornado.kernels.AttentionKernels;
import dip.tornado.kernels.ChannelKernels;
import dip.tornado.kernels.ConvKernels;
import dip.tornado.kernels.ConvTransposeKernels;
import dip.tornado.kernels.ElementwiseKernels;
import dip.tornado.kernels.EmbedKernels;
import dip.tornado.kernels.FlowKernels;
import dip.tornado.kernels.LossKernels;
import dip.tornado.kernels.NormKernels;
import dip.tornado.kernels.OptimizerKernels;
import dip.tornado.kernels.PatchKernels;
import dip.tornado.kernels.PoolKernels;
import dip.tornado.kernels.RopeKernels;
import dip.tornado.kernels.SwigluKernels;

/**
 * Where kernels run. Layers reach the math only through an engine, and every kernel call names its kernel and its
 * arrays: one method per kernel ({@code rmsNormForward(y, rstd, x, w, wOff, R, D, eps)}), zeroing included
 * ({@link #zero}).
 * <p><b>Parameters.</b> Every weight a kernel reads and every weight gradient it writes is named by an array and
 * the offset right after it ({@code w, wOff}): the model keeps all its parameters in one flat array, and all their
 * gradients in another, each parameter at its own offset. Activations always start at 0. The defaults run the kernel over its whole range through {@link #parallelFor}; {@link JavaEngine}
 * slices that range across threads and puts Vector API variants behind the hot ones (matmul, convolutions,
 * attention); a device engine (the TornadoVM engine) turns each call into a task of the very same kernel method.
 * <p>Every kernel's {@code @Parallel} loop runs over a range {@code [r0, r1)} passed in as two ints, so the CPU
 * engine can hand each thread a contiguous slice and a TornadoVM task runs the same method with
 * {@code r0 = 0, r1 = R}.
 * <p><b>Passes.</b> {@link #run(Pass)} runs a fixed sequence of kernel calls over fixed arrays (a sampling step,
 * a training step). The Java engine simply runs it. A device engine records it once and replays it, keeping every
 * array on the device between runs except what the pass declares as per-run input and output, and what the host
 * asks for with {@link #download} or hands over with {@link #upload}. So the one rule a caller keeps is: inside
 * a pass, compute only through kernel calls; read a pass's results on the host only after {@code run} returns,
 * and only those it declares as outputs (or after {@code download}).
 */
public interface Engine extends AutoCloseable {

    /** Short name for logs: "java", "tornado". */
    String name();

    /** Running totals of device work and traffic; null for an engine that computes on the host. */
    default DeviceCounters counters() {
        return null;
    }

    /**
     * Turns the device's kernel timing on or off (it fills {@link DeviceCounters#kernelNanos}). Timing can cost
     * launch time (TornadoVM's profiler waits for each kernel as it is submitted), so a benchmark times its steps
     * with it off and reads kernel times in separate steps with it on. An engine without a device ignores it.
     */
    default void profile(boolean on) {
    }

    /** Number of worker threads (1 for a device engine's host side). */
    int threads();

    /** Runs {@code body} over [0, n), split into at most {@link #threads()} contiguous slices; returns when all are done. */
    void parallelFor(int n, RangeBody body);

    /** out(R, OUT) = x(R, IN) · w(OUT, IN)ᵀ + b(OUT) (zeros for no bias); w at wOff, b at bOff. Overwrites out. */
    void matmulForward(float[] out, float[] x, float[] w, int wOff, float[] b, int bOff, int R, int IN, int OUT);

    /** dx(R, IN) = dout(R, OUT) · w(OUT, IN), w at wOff: written, not accumulated. */
    void matmulBackwardInput(float[] dx, float[] dout, float[] w, int wOff, int R, int IN, int OUT);

    /** dw(OUT, IN) += dout(R, OUT)ᵀ · x(R, IN); db(OUT) += Σ_r dout; dw at dwOff, db at dbOff. */
    void matmulBackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x, int R, int IN, int OUT);

    // ---------------------------------------------------------------------------------------------- convolutions
    // NCHW; x: (B, CI, H, W). Forward writes out, backward-input writes dx; backward-weight accumulates into dw, db.
    // Weights and biases at wOff, bOff; their gradients at dwOff, dbOff.

    /** Conv2d 3×3, padding 1: out(B, CO, H, W) = conv(x, w(CO, CI, 3, 3)) + bias(CO). */
    default void conv3x3Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff,
                                int B, int CI, int CO, int H, int W) {
        parallelFor(B * CO, (lo, hi) -> ConvKernels.conv3x3Forward(out, x, w, wOff, bias, bOff, lo, hi, CI, CO, H, W));
    }

    /** dx(B, CI, H, W) = ∂/∂x of {@link #conv3x3Forward} given dout(B, CO, H, W). */
    default void conv3x3BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W) {
        parallelFor(B * CI, (lo, hi) -> ConvKernels.conv3x3BackwardInput(dx, dout, w, wOff, lo, hi, CI, CO, H, W));
    }

    /** dw(CO, CI, 3, 3) += Σ dout ⊗ x-patches; db(CO) += Σ dout. */
    default void conv3x3BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                       int B, int CI, int CO, int H, int W) {
        parallelFor(CO * CI, (lo, hi) ->
                ConvKernels.conv3x3BackwardWeight(dw, dwOff, db, dbOff, dout, x, lo, hi, B, CI, CO, H, W));
    }

    /** Conv2d 1×1 over HW pixels: out(B, CO, HW) = w(CO, CI)·x(B, CI, HW) + bias(CO). */
    default void conv1x1Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff, int B, int CI, int CO, int HW) {
        parallelFor(B * CO, (lo, hi) -> ConvKernels.conv1x1Forward(out, x, w, wOff, bias, bOff, lo, hi, CI, CO, HW));
    }

    /** dx(B, CI, HW) = w(CO, CI)ᵀ·dout(B, CO, HW). */
    default void conv1x1BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int HW) {
        parallelFor(B * CI, (lo, hi) -> ConvKernels.conv1x1BackwardInput(dx, dout, w, wOff, lo, hi, CI, CO, HW));
    }

    /** dw(CO, CI) += Σ_b dout_b·x_bᵀ; db(CO) += Σ dout. */
    default void conv1x1BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                       int B, int CI, int CO, int HW) {
        parallelFor(CO * CI, (lo, hi) ->
                ConvKernels.conv1x1BackwardWeight(dw, dwOff, db, dbOff, dout, x, lo, hi, B, CI, CO, HW));
    }

    /** ConvTranspose2d k2 s2: out(B, CO, 2H, 2W), w(CI, CO, 2, 2), bias(CO). */
    default void convTranspose2x2Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff,
                                         int B, int CI, int CO, int H, int W) {
        parallelFor(B * CO, (lo, hi) ->
                ConvTransposeKernels.convTranspose2x2Forward(out, x, w, wOff, bias, bOff, lo, hi, CI, CO, H, W));
    }

    /** dx(B, CI, H, W) = ∂/∂x of {@link #convTranspose2x2Forward} given dout(B, CO, 2H, 2W). */
    default void convTranspose2x2BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W) {
        parallelFor(B * CI, (lo, hi) ->
                ConvTransposeKernels.convTranspose2x2BackwardInput(dx, dout, w, wOff, lo, hi, CI, CO, H, W));
    }

    /** dw(CI, CO, 2, 2) += Σ x ⊗ dout-blocks; db(CO) += Σ dout. */
    default void convTranspose2x2BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                                int B, int CI, int CO, int H, int W) {
        parallelFor(CI * CO, (lo, hi) ->
                ConvTransposeKernels.convTranspose2x2BackwardWeight(dw, dwOff, db, dbOff, dout, x, lo, hi, B, CI, CO, H, W));
    }

    // ------------------------------------------------------------------------------------------------ attention
    // q, k, v, out, dq, dk, dv, dout: (BH, N, HS); att, dpre: (BH, N, N), BH = B·NH heads.

    /**
     * out, att = softmax(q·kᵀ·scale)·v per head: {@link AttentionKernels#headDots} (the scores), then
     * {@link AttentionKernels#softmaxRows}, then {@link AttentionKernels#headWeightedSum} (the values). Overwrites
     * out, att.
     */
    default void attentionForward(float[] out, float[] att, float[] q, float[] k, float[] v, int BH, int N, int HS, float scale) {
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.headDots(att, q, k, lo, hi, N, HS, scale));
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.softmaxRows(att, lo, hi, N));
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.headWeightedSum(out, att, v, lo, hi, N, HS, 1f));
    }

    /**
     * Backward of {@link #attentionForward}: writes dpre = dL/dS (scratch), dq, dk and dv: dP = dout·vᵀ
     * ({@link AttentionKernels#headDots}), dS ({@link AttentionKernels#softmaxBackwardRows}), dq = scale·dS·k
     * ({@link AttentionKernels#headWeightedSum}), then {@link AttentionKernels#attentionBackwardKeyValue}.
     */
    default void attentionBackward(float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                                   float[] v, float[] att, int BH, int N, int HS, float scale) {
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.headDots(dpre, dout, v, lo, hi, N, HS, 1f));
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.softmaxBackwardRows(dpre, att, lo, hi, N));
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.headWeightedSum(dq, dpre, k, lo, hi, N, HS, scale));
        parallelFor(BH * N, (lo, hi) -> AttentionKernels.attentionBackwardKeyValue(dk, dv, dout, q, att, dpre, lo, hi, N, HS, scale));
    }

    // ------------------------------------------------------------------------------------------------ passes

    /** Runs a pass (see the class comment). The default runs its body now, as the Java engine does. */
    default void run(Pass pass) {
        pass.body().run();
    }

    /**
     * Makes the host copies of {@code arrays} current: a device engine copies back what its passes keep on the
     * device (weights before a checkpoint, the final image of a sampling run). No-op on the Java engine.
     */
    default void download(Object... arrays) {
    }

    /**
     * Says the host changed {@code arrays} (loaded a checkpoint, swapped in the EMA weights, drew new noise): a
     * device engine sends them again before the next pass that uses them. No-op on the Java engine.
     */
    default void upload(Object... arrays) {
    }

    // ------------------------------------------------------------------------------------------------ elementwise

    /** x[0, n) = 0. */
    default void zero(float[] x, int n) {
        parallelFor(n, (lo, hi) -> ElementwiseKernels.zero(x, lo, hi));
    }

    /** out[i] = a[i] + b[i], i &lt; n. */
    default void add(float[] out, float[] a, float[] b, int n) {
        parallelFor(n, (lo, hi) -> ElementwiseKernels.add(out, a, b, lo, hi));
    }

    /** x[i] += a[i], i &lt; n. */
    default void addInPlace(float[] x, float[] a, int n) {
        parallelFor(n, (lo, hi) -> ElementwiseKernels.addInPlace(x, a, lo, hi));
    }

    /** out[i] = s·x[i], i &lt; n. */
    default void scale(float[] out, float[] x, float s, int n) {
        parallelFor(n, (lo, hi) -> ElementwiseKernels.scale(out, x, s, lo, hi));
    }

    /** out[outOff + i] = x[xOff + i], i &lt; n. */
    default void copySlice(float[] out, int outOff, float[] x, int xOff, int n) {
        parallelFor(n, (lo, hi) -> ElementwiseKernels.copySlice(out, outOff, x, xOff, lo, hi));
    }

    /** out[outOff + i] = y[yOff + i], i &lt; n (int labels). */
    default void copySliceInt(int[] out, int outOff, int[] y, int yOff, int n) {
        parallelFor(n, (lo, hi) -> ElementwiseKernels.copySliceInt(out, outOff, y, yOff, lo, hi));
    }

    /** out[i] = value, i &lt; n (int labels). */
    default void fillInt(int[] out, int value, int n) {
        parallelFor(n, (lo, hi) -> ElementwiseKernels.fillInt(out, value, lo, hi));
    }

    /** out[i] = s[k], i &lt; n. */
    default void fillFrom(float[] out, float[] s, int k, int n) {
        parallelFor(n, (lo, hi) -> ElementwiseKernels.fillFrom(out, s, k, lo, hi));
    }

    /** x[i] += s[k]·v[i], i &lt; n. */
    default void axpyFrom(float[] x, float[] v, float[] s, int k, int n) {
        parallelFor(n, (lo, hi) -> ElementwiseKernels.axpyFrom(x, v, s, k, lo, hi));
    }

    /** out(B·N, D) = x + v[b] broadcast over each sample's N rows. */
    default void addRowBroadcast(float[] out, float[] x, float[] v, int R, int N, int D) {
        parallelFor(R, (lo, hi) -> ElementwiseKernels.addRowBroadcast(out, x, v, lo, hi, N, D));
    }

    /** dv(B, D) += Σ over each sample's N rows of dout. */
    default void addRowBroadcastBackwardVec(float[] dv, float[] dout, int B, int N, int D) {
        parallelFor(B * D, (lo, hi) -> ElementwiseKernels.addRowBroadcastBackwardVec(dv, dout, lo, hi, N, D));
    }

    // ------------------------------------------------------------------------------------------------ activations

    default void siluForward(float[] out, float[] x, int n) {
        parallelFor(n, (lo, hi) -> ActivationKernels.siluForward(out, x, lo, hi));
    }

    default void siluBackward(float[] dx, float[] dout, float[] x, int n) {
        parallelFor(n, (lo, hi) -> ActivationKernels.siluBackward(dx, dout, x, lo, hi));
    }

    default void swigluForward(float[] out, float[] ab, int R, int hidden) {
        parallelFor(R * hidden, (lo, hi) -> SwigluKernels.swigluForward(out, ab, lo, hi, hidden));
    }

    default void swigluBackward(float[] dab, float[] dout, float[] ab, int R, int hidden) {
        parallelFor(R * hidden, (lo, hi) -> SwigluKernels.swigluBackward(dab, dout, ab, lo, hi, hidden));
    }

    // ------------------------------------------------------------------------------------------------ norms

    /** out(R, D) = RMSNorm(x) · w, w at wOff: (D); writes rstd(R). */
    default void rmsNormForward(float[] out, float[] rstd, float[] x, float[] w, int wOff, int R, int D, float eps) {
        parallelFor(R, (lo, hi) -> NormKernels.rmsNormForward(out, rstd, x, w, wOff, lo, hi, D, eps));
    }

    /** dx(R, D) of {@link #rmsNormForward}, w at wOff: written. */
    default void rmsNormBackward(float[] dx, float[] dout, float[] x, float[] w, int wOff, float[] rstd, int R, int D) {
        parallelFor(R, (lo, hi) -> NormKernels.rmsNormBackward(dx, dout, x, w, wOff, rstd, lo, hi, D));
    }

    /** dw(D) at dwOff += the weight gradient of {@link #rmsNormForward}. */
    default void rmsNormWeightBackward(float[] dw, int dwOff, float[] dout, float[] x, float[] rstd, int R, int D) {
        parallelFor(D, (lo, hi) -> NormKernels.rmsNormWeightBackward(dw, dwOff, dout, x, rstd, lo, hi, R, D));
    }

    /**
     * h(R, D) = RMSNorm(x)·w·(1 + scale) + shift, the norm output y and rstd(R) written too (see
     * {@link NormKernels#rmsNormModulateForward}); scale, shift: chunks of mod(B, chunks·D), N rows per sample.
     */
    default void rmsNormModulateForward(float[] h, float[] y, float[] rstd, float[] x, float[] w, int wOff, float[] mod,
                                        int R, int N, int D, float eps, int chunks, int shiftIdx, int scaleIdx) {
        parallelFor(R, (lo, hi) ->
                NormKernels.rmsNormModulateForward(h, y, rstd, x, w, wOff, mod, lo, hi, N, D, eps, chunks, shiftIdx, scaleIdx));
    }

    /** dy(R, D) = dh·(1 + scale) written; dx(R, D) += the norm's input gradient (see {@link NormKernels#rmsNormModulateBackward}). */
    default void rmsNormModulateBackward(float[] dy, float[] dx, float[] dh, float[] mod, float[] x, float[] w, int wOff,
                                         float[] rstd, int R, int N, int D, int chunks, int scaleIdx) {
        parallelFor(R, (lo, hi) ->
                NormKernels.rmsNormModulateBackward(dy, dx, dh, mod, x, w, wOff, rstd, lo, hi, N, D, chunks, scaleIdx));
    }

    default void layerNormForward(float[] out, float[] mean, float[] rstd, float[] x, int R, int D, float eps) {
        parallelFor(R, (lo, hi) -> NormKernels.layerNormForward(out, mean, rstd, x, lo, hi, D, eps));
    }

    default void layerNormBackward(float[] dx, float[] dout, float[] x, float[] mean, float[] rstd, int R, int D) {
        parallelFor(R, (lo, hi) -> NormKernels.layerNormBackward(dx, dout, x, mean, rstd, lo, hi, D));
    }

    // ------------------------------------------------------------------------------------------------ adaLN

    default void modulateForward(float[] out, float[] x, float[] mod, int R, int N, int D, int chunks, int shiftIdx, int scaleIdx) {
        parallelFor(R, (lo, hi) -> AdaLnKernels.modulateForward(out, x, mod, lo, hi, N, D, chunks, shiftIdx, scaleIdx));
    }

    default void modulateBackwardInput(float[] dx, float[] dout, float[] mod, int R, int N, int D, int chunks, int scaleIdx) {
        parallelFor(R, (lo, hi) -> AdaLnKernels.modulateBackwardInput(dx, dout, mod, lo, hi, N, D, chunks, scaleIdx));
    }

    default void modulateBackwardMod(float[] dmod, float[] dout, float[] x, int B, int N, int D, int chunks, int shiftIdx, int scaleIdx) {
        parallelFor(B * D, (lo, hi) -> AdaLnKernels.modulateBackwardMod(dmod, dout, x, lo, hi, N, D, chunks, shiftIdx, scaleIdx));
    }

    default void gateResidualForward(float[] out, float[] x, float[] y, float[] mod, int R, int N, int D, int chunks, int gateIdx) {
        parallelFor(R, (lo, hi) -> AdaLnKernels.gateResidualForward(out, x, y, mod, lo, hi, N, D, chunks, gateIdx));
    }

    default void gateResidualBackwardInput(float[] dx, float[] dy, float[] dout, float[] mod, int R, int N, int D, int chunks, int gateIdx) {
        parallelFor(R, (lo, hi) -> AdaLnKernels.gateResidualBackwardInput(dx, dy, dout, mod, lo, hi, N, D, chunks, gateIdx));
    }

    default void gateResidualBackwardMod(float[] dmod, float[] dout, float[] y, int B, int N, int D, int chunks, int gateIdx) {
        parallelFor(B * D, (lo, hi) -> AdaLnKernels.gateResidualBackwardMod(dmod, dout, y, lo, hi, N, D, chunks, gateIdx));
    }

    // ------------------------------------------------------------------------------------------------ attention glue

    /**
     * qr, kr = RoPE(RMSNorm(q, k from qkv)·(q_norm, k_norm)), v split out, rstd(2·rows) written, rows = B·NH·N
     * (see {@link AttentionKernels#qkNormRopeForward}); q_norm at qOff and k_norm at kOff of w.
     */
    default void qkNormRopeForward(float[] qr, float[] kr, float[] v, float[] rstd, float[] qkv, float[] w, int qOff, int kOff,
                                   float[] cos, float[] sin, int rows, int N, int NH, int HS, float eps) {
        parallelFor(rows, (lo, hi) ->
                AttentionKernels.qkNormRopeForward(qr, kr, v, rstd, qkv, w, qOff, kOff, cos, sin, lo, hi, rows, N, NH, HS, eps));
    }

    /** dqkv(B·N, 3D) and dn(2·rows, HS) written from dqr, dkr, dv (see {@link AttentionKernels#qkNormRopeBackward}). */
    default void qkNormRopeBackward(float[] dqkv, float[] dn, float[] dqr, float[] dkr, float[] dv, float[] qkv, float[] w,
                                    int qOff, int kOff, float[] rstd, float[] cos, float[] sin, int rows, int N, int NH, int HS) {
        parallelFor(rows, (lo, hi) -> AttentionKernels.qkNormRopeBackward(dqkv, dn, dqr, dkr, dv, qkv, w, qOff, kOff, rstd,
                cos, sin, lo, hi, rows, N, NH, HS));
    }

    /** dw at qOff (q_norm, HS) and kOff (k_norm, HS) += their gradients (see {@link AttentionKernels#qkNormWeightBackward}). */
    default void qkNormWeightBackward(float[] dw, int qOff, int kOff, float[] dn, float[] qkv, float[] rstd,
                                      int rows, int N, int NH, int HS) {
        parallelFor(2 * HS, (lo, hi) -> AttentionKernels.qkNormWeightBackward(dw, qOff, kOff, dn, qkv, rstd, lo, hi, rows, N, NH, HS));
    }

    default void headsMerge(float[] out, float[] o, int rows, int N, int NH, int HS) {
        parallelFor(rows, (lo, hi) -> AttentionKernels.headsMerge(out, o, lo, hi, N, NH, HS));
    }

    default void headsMergeBackward(float[] dO, float[] dout, int rows, int N, int NH, int HS) {
        parallelFor(rows, (lo, hi) -> AttentionKernels.headsMergeBackward(dO, dout, lo, hi, N, NH, HS));
    }

    default void ropeTables(float[] cos, float[] sin, int N, int grid, int HS) {
        parallelFor(N, (lo, hi) -> RopeKernels.ropeTables(cos, sin, lo, hi, grid, HS));
    }

    // ------------------------------------------------------------------------------------------------ embeddings, patches

    default void timestepFeatures(float[] out, float[] t, int B, int dim, float maxPeriod) {
        parallelFor(B, (lo, hi) -> EmbedKernels.timestepFeatures(out, t, lo, hi, dim, maxPeriod));
    }

    /** out(B, D) = the table's rows by label, table at tOff: (classes, D). */
    default void embeddingForward(float[] out, float[] table, int tOff, int[] y, int B, int D) {
        parallelFor(B, (lo, hi) -> EmbedKernels.embeddingForward(out, table, tOff, y, lo, hi, D));
    }

    /** dtable(classes, D) at tOff += rows of dout by label; parallel over the table's rows. */
    default void embeddingBackward(float[] dtable, int tOff, float[] dout, int[] y, int classes, int B, int D) {
        parallelFor(classes, (lo, hi) -> EmbedKernels.embeddingBackward(dtable, tOff, dout, y, lo, hi, B, D));
    }

    default void patchifyForward(float[] tok, float[] x, int BN, int C, int H, int W, int P) {
        parallelFor(BN, (lo, hi) -> PatchKernels.patchifyForward(tok, x, lo, hi, C, H, W, P));
    }

    default void patchifyBackward(float[] dx, float[] dtok, int BN, int C, int H, int W, int P) {
        parallelFor(BN, (lo, hi) -> PatchKernels.patchifyBackward(dx, dtok, lo, hi, C, H, W, P));
    }

    default void unpatchifyForward(float[] out, float[] tok, int BN, int C, int H, int W, int P) {
        parallelFor(BN, (lo, hi) -> PatchKernels.unpatchifyForward(out, tok, lo, hi, C, H, W, P));
    }

    default void unpatchifyBackward(float[] dtok, float[] dout, int BN, int C, int H, int W, int P) {
        parallelFor(BN, (lo, hi) -> PatchKernels.unpatchifyBackward(dtok, dout, lo, hi, C, H, W, P));
    }

    // ------------------------------------------------------------------------------------------------ head glue

    default void maxPool2x2Forward(float[] out, int[] argmax, float[] x, int outs, int H, int W) {
        parallelFor(outs, (lo, hi) -> PoolKernels.maxPool2x2Forward(out, argmax, x, lo, hi, H, W));
    }

    default void maxPool2x2Backward(float[] dx, float[] dout, int[] argmax, int outs) {
        parallelFor(outs, (lo, hi) -> PoolKernels.maxPool2x2Backward(dx, dout, argmax, lo, hi));
    }

    default void concatForward(float[] out, float[] a, float[] b, int rows, int CA, int CB, int HW) {
        parallelFor(rows, (lo, hi) -> ChannelKernels.concatForward(out, a, b, lo, hi, CA, CB, HW));
    }

    default void concatBackward(float[] da, float[] db, float[] dout, int rows, int CA, int CB, int HW) {
        parallelFor(rows, (lo, hi) -> ChannelKernels.concatBackward(da, db, dout, lo, hi, CA, CB, HW));
    }

    default void broadcastConcatForward(float[] out, float[] a, float[] v, int rows, int CA, int D, int HW) {
        parallelFor(rows, (lo, hi) -> ChannelKernels.broadcastConcatForward(out, a, v, lo, hi, CA, D, HW));
    }

    default void broadcastConcatBackward(float[] da, float[] dv, float[] dout, int rows, int CA, int D, int HW) {
        parallelFor(rows, (lo, hi) -> ChannelKernels.broadcastConcatBackward(da, dv, dout, lo, hi, CA, D, HW));
    }

    // ------------------------------------------------------------------------------------------------ loss, flow, optimiser

    default void mseRowSums(float[] rowSum, float[] pred, float[] target, int B, int per) {
        parallelFor(B, (lo, hi) -> LossKernels.mseRowSums(rowSum, pred, target, lo, hi, per));
    }

    default void mseBackward(float[] dpred, float[] pred, float[] target, int n, float scale) {
        parallelFor(n, (lo, hi) -> LossKernels.mseBackward(dpred, pred, target, lo, hi, scale));
    }

    default void interpolate(float[] xt, float[] x, float[] eps, float[] t, int n, int per) {
        parallelFor(n, (lo, hi) -> FlowKernels.interpolate(xt, x, eps, t, lo, hi, per));
    }

    default void velocityTarget(float[] v, float[] x, float[] eps, int n) {
        parallelFor(n, (lo, hi) -> FlowKernels.velocityTarget(v, x, eps, lo, hi));
    }

    default void guidanceCombine(float[] v, int vOff, float[] out, int cOff, float[] s, int k, int n) {
        parallelFor(n, (lo, hi) -> FlowKernels.guidanceCombine(v, vOff, out, cOff, s, k, lo, hi));
    }

    default void guidanceCombineSplit(float[] v, int vOff, float[] u, float[] c, float[] s, int k, int n) {
        parallelFor(n, (lo, hi) -> FlowKernels.guidanceCombineSplit(v, vOff, u, c, s, k, lo, hi));
    }

    default void eulerTo(float[] out, float[] x, float[] v, float[] s, int k, int n) {
        parallelFor(n, (lo, hi) -> FlowKernels.eulerTo(out, x, v, s, k, lo, hi));
    }

    default void heunCorrect(float[] x, float[] v, float[] vp, float[] s, int k, int n) {
        parallelFor(n, (lo, hi) -> FlowKernels.heunCorrect(x, v, vp, s, k, lo, hi));
    }

    /** x ← x + (s[k+1]·vprev + s[k+2]·v)·s[k], then vprev ← v ({@link FlowKernels#adamsBashforth2}). */
    default void adamsBashforth2(float[] x, float[] vprev, float[] v, float[] s, int k, int n) {
        parallelFor(n, (lo, hi) -> FlowKernels.adamsBashforth2(x, vprev, v, s, k, lo, hi));
    }

    /**
     * partial[pOff + c] = Σ g² over span c = [bounds[c], bounds[c+1]), c &lt; chunks ({@link OptimizerKernels#sumSquaresSpans}:
     * spans of at most {@link OptimizerKernels#CHUNK} elements, none across two parameters).
     */
    default void sumSquaresSpans(float[] partial, int pOff, float[] g, int[] bounds, int chunks) {
        parallelFor(chunks, (lo, hi) -> OptimizerKernels.sumSquaresSpans(partial, pOff, g, bounds, lo, hi));
    }

    /** out[k] = scale · Σ_{i &lt; n} x[i], in order. */
    default void sumTo(float[] out, int k, float[] x, int n, float scale) {
        OptimizerKernels.sumTo(out, k, x, n, scale, 0, 1);
    }

    /** gate = clip factor and apply flag from lossNorm = {loss, Σ g²}; lossNorm[1] becomes the norm. */
    default void clipGate(float[] gate, float[] lossNorm, float maxNorm) {
        OptimizerKernels.clipGate(gate, lossNorm, maxNorm, 0, 1);
    }

    /**
     * A training step's optimiser over n elements (one parameter, or the whole flat parameter array), gated and clipped by gate ({@link #clipGate}): AdamW on p, m, v
     * from g with the numbers in hp, then the EMA e of the new p; then g = 0 for the next step
     * ({@link OptimizerKernels#adamwEma}).
     */
    default void adamwEma(float[] p, float[] g, float[] m, float[] v, float[] e, float[] hp, float[] gate, float decay, int n) {
        float oneMinus = 1f - decay;
        parallelFor(n, (lo, hi) -> OptimizerKernels.adamwEma(p, g, m, v, e, hp, gate, decay, oneMinus, lo, hi));
    }

    @Override
    default void close() {
    }
}
