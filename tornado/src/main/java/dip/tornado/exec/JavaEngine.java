package dip.tornado.exec;

import dip.tornado.kernels.MatmulKernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * The pure-Java engine: splits each kernel's {@code @Parallel} range across a fixed pool of threads.
 * Matmuls big enough to pay for it go to {@link VectorMatmul} (Vector API, packed panels); small ones run the
 * scalar {@link MatmulKernels}, which are also the reference the fast paths are tested against. Convolutions do the
 * same through {@link VectorConv} (im2col + GEMM on VectorMatmul's micro-kernel), else the Engine's scalar defaults.
 */
public final class JavaEngine implements Engine {
    private final int threads;
    private final ExecutorService pool;
    private final VectorMatmul fast;            // null when the JVM lacks --add-modules jdk.incubator.vector
    private final VectorConv conv;              // likewise; holds the convolutions' per-thread scratch

    /** Below this many multiply-adds (R·IN·OUT) a matmul runs the scalar kernels: packing would not pay. */
    static final long FAST_MIN_MACS = 1L << 15;

    public JavaEngine(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.fast = vectorApiPresent() ? new VectorMatmul() : null;
        this.conv = fast != null ? new VectorConv() : null;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "dip-java-engine");
            t.setDaemon(true);
            return t;
        });
    }

    /** One thread per available processor. */
    public JavaEngine() {
        this(Runtime.getRuntime().availableProcessors());
    }

    @Override public String name() { return "java"; }

    @Override public int threads() { return threads; }

    @Override
    public void parallelFor(int n, RangeBody body) {
        int slices = Math.min(threads, n);
        if (slices <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(slices - 1);
        for (int s = 1; s < slices; s++) {
            int lo = (int) ((long) n * s / slices), hi = (int) ((long) n * (s + 1) / slices);
            futures.add(pool.submit(() -> body.run(lo, hi)));
        }
        body.run(0, (int) ((long) n / slices));     // the calling thread takes slice 0
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) throw re;
                if (c instanceof Error er) throw er;
                throw new IllegalStateException(c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a kernel slice", e);
            }
        }
    }

    /** True when this JVM was started with {@code --add-modules jdk.incubator.vector}. */
    public static boolean vectorApiPresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** Whether matmuls take the Vector API paths (false: scalar kernels only, the module is missing). */
    public boolean vectorized() { return fast != null; }

    /** True when the Vector API path is worth it: enough work, and rows wide enough for one vector. */
    static boolean useFast(int R, int IN, int OUT) {
        return (long) R * IN * OUT >= FAST_MIN_MACS && Math.min(IN, OUT) >= VectorMatmul.L;
    }

    @Override
    public void matmulForward(float[] out, float[] x, float[] w, int wOff, float[] b, int bOff, int R, int IN, int OUT) {
        if (fast != null && useFast(R, IN, OUT)) fast.forward(this, out, x, w, wOff, b, bOff, R, IN, OUT);
        else parallelFor(R, (lo, hi) -> MatmulKernels.matmulForward(out, x, w, wOff, b, bOff, lo, hi, IN, OUT));
    }

    @Override
    public void matmulBackwardInput(float[] dx, float[] dout, float[] w, int wOff, int R, int IN, int OUT) {
        if (fast != null && useFast(R, IN, OUT)) fast.backwardInput(this, dx, dout, w, wOff, R, IN, OUT);
        else parallelFor(R, (lo, hi) -> MatmulKernels.matmulBackwardInput(dx, dout, w, wOff, lo, hi, IN, OUT));
    }

    @Override
    public void matmulBackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x, int R, int IN, int OUT) {
        if (fast != null && useFast(R, IN, OUT)) fast.backwardWeight(this, dw, dwOff, db, dbOff, dout, x, R, IN, OUT);
        else parallelFor(OUT, (lo, hi) -> MatmulKernels.matmulBackwardWeight(dw, dwOff, db, dbOff, dout, x, lo, hi, R, IN, OUT));
    }

    // ---------------------------------------------------------------------------------------------- convolutions

    /**
     * True when a convolution's GEMM is worth it: its N side (the GEMM's vector axis: output channels, or input
     * channels for backward-input) fills at least half a panel; else the scalar kernels. The choice looks at the
     * channels only, never at the batch: the two paths sum in different orders, and an image's bits must not depend
     * on how many images share its batch.
     */
    static boolean useConv(int N) {
        return 2 * N >= VectorMatmul.NR;
    }

    @Override
    public void conv3x3Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff, int B, int CI, int CO, int H, int W) {
        if (conv != null && useConv(CO)) conv.convForward(this, out, x, w, wOff, bias, bOff, B, CI, CO, H, W, 9);
        else Engine.super.conv3x3Forward(out, x, w, wOff, bias, bOff, B, CI, CO, H, W);
    }

    @Override
    public void conv3x3BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W) {
        if (conv != null && useConv(CI)) conv.convBackwardInput(this, dx, dout, w, wOff, B, CI, CO, H, W, 9);
        else Engine.super.conv3x3BackwardInput(dx, dout, w, wOff, B, CI, CO, H, W);
    }

    @Override
    public void conv3x3BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                      int B, int CI, int CO, int H, int W) {
        if (conv != null && useConv(CO)) conv.convBackwardWeight(this, dw, dwOff, db, dbOff, dout, x, B, CI, CO, H, W, 9);
        else Engine.super.conv3x3BackwardWeight(dw, dwOff, db, dbOff, dout, x, B, CI, CO, H, W);
    }

    @Override
    public void conv1x1Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff, int B, int CI, int CO, int HW) {
        if (conv != null && useConv(CO)) conv.convForward(this, out, x, w, wOff, bias, bOff, B, CI, CO, 1, HW, 1);
        else Engine.super.conv1x1Forward(out, x, w, wOff, bias, bOff, B, CI, CO, HW);
    }

    @Override
    public void conv1x1BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int HW) {
        if (conv != null && useConv(CI)) conv.convBackwardInput(this, dx, dout, w, wOff, B, CI, CO, 1, HW, 1);
        else Engine.super.conv1x1BackwardInput(dx, dout, w, wOff, B, CI, CO, HW);
    }

    @Override
    public void conv1x1BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                      int B, int CI, int CO, int HW) {
        if (conv != null && useConv(CO)) conv.convBackwardWeight(this, dw, dwOff, db, dbOff, dout, x, B, CI, CO, 1, HW, 1);
        else Engine.super.conv1x1BackwardWeight(dw, dwOff, db, dbOff, dout, x, B, CI, CO, HW);
    }

    @Override
    public void convTranspose2x2Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff,
                                        int B, int CI, int CO, int H, int W) {
        if (conv != null && useConv(4 * CO)) conv.convTForward(this, out, x, w, wOff, bias, bOff, B, CI, CO, H, W);
        else Engine.super.convTranspose2x2Forward(out, x, w, wOff, bias, bOff, B, CI, CO, H, W);
    }

    @Override
    public void convTranspose2x2BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W) {
        if (conv != null && useConv(CI)) conv.convTBackwardInput(this, dx, dout, w, wOff, B, CI, CO, H, W);
        else Engine.super.convTranspose2x2BackwardInput(dx, dout, w, wOff, B, CI, CO, H, W);
    }

    @Override
    public void convTranspose2x2BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                               int B, int CI, int CO, int H, int W) {
        if (conv != null && useConv(4 * CO)) conv.convTBackwardWeight(this, dw, dwOff, db, dbOff, dout, x, B, CI, CO, H, W);
        else Engine.super.convTranspose2x2BackwardWeight(dw, dwOff, db, dbOff, dout, x, B, CI, CO, H, W);
    }

    // ------------------------------------------------------------------------------------------------ attention

    /** Below this many tokens per head attention runs the scalar kernels (the Engine defaults). */
    static final int ATTN_MIN_N = 32;

    @Override
    public void attentionForward(float[] out, float[] att, float[] q, float[] k, float[] v, int BH, int N, int HS, float scale) {
        if (fast != null && N >= ATTN_MIN_N) VectorAttention.forward(this, out, att, q, k, v, BH, N, HS, scale);
        else Engine.super.attentionForward(out, att, q, k, v, BH, N, HS, scale);
    }

    @Override
    public void attentionBackward(float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                                  float[] v, float[] att, int BH, int N, int HS, float scale) {
        if (fast != null && N >= ATTN_MIN_N) VectorAttention.backward(this, dq, dk, dv, dpre, dout, q, k, v, att, BH, N, HS, scale);
        else Engine.super.attentionBackward(dq, dk, dv, dpre, dout, q, k, v, att, BH, N, HS, scale);
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
