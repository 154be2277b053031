package dip.tornado.exec;

import dip.tornado.kernels.MatmulKernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * The pure-Java engine: splits each kernel's {@code @Parallel} range across a fixed pool of threads.
 * (A first version: the fast Vector API paths for matmul come in its own commit.)
 */
public final class JavaEngine implements Engine {
    private final int threads;
    private final ExecutorService pool;

    public JavaEngine(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
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

    @Override
    public void matmulForward(float[] out, float[] x, float[] w, float[] b, int R, int IN, int OUT) {
        parallelFor(R, (lo, hi) -> MatmulKernels.matmulForward(out, x, w, b, lo, hi, IN, OUT));
    }

    @Override
    public void matmulBackwardInput(float[] dx, float[] dout, float[] w, int R, int IN, int OUT) {
        parallelFor(R, (lo, hi) -> MatmulKernels.matmulBackwardInput(dx, dout, w, lo, hi, IN, OUT));
    }

    @Override
    public void matmulBackwardWeight(float[] dw, float[] db, float[] dout, float[] x, int R, int IN, int OUT) {
        parallelFor(OUT, (lo, hi) -> MatmulKernels.matmulBackwardWeight(dw, db, dout, x, lo, hi, R, IN, OUT));
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
