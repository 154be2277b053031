package dip.tornado.exec;

/**
 * Where kernels run. Layers reach the math only through an engine: generic kernels through {@link #parallelFor},
 * the hot ones (matmul) through their own methods so an engine can put a faster variant behind them
 * (Vector API on the CPU, a TaskGraph on TornadoVM). Every kernel's {@code @Parallel} loop runs over a range
 * {@code [r0, r1)} passed in as two ints, so the CPU engine can hand each thread a contiguous slice and a
 * TornadoVM task runs the same method with {@code r0 = 0, r1 = R}.
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

    @Override
    default void close() {
    }
}
