package dip.trainer;

/**
 * What data-parallel training asks of the processes it runs in: who am I ({@link #rank()} of {@link #size()}), an
 * elementwise sum of a float array over every rank ({@link #allReduceSum}), and a rendezvous ({@link #barrier}).
 * {@link #single()} is the one-process identity; the cluster module puts XGBoost4J's collective (a RabitTracker on
 * the Spark driver, Communicator.allReduce in each barrier task) behind the same four methods. The trainer never
 * sees Spark.
 * <p>The one promise an implementation must keep is that its sum is IEEE float addition, in whatever order it
 * likes. {@link #allGather} builds an exact gather on that alone (see there), and the trainer's gradient sum
 * (ReplicaStep) uses nothing else, so every implementation gives the same bits.
 */
public interface Collective extends AutoCloseable {

    /** This process's index, 0 ≤ rank &lt; size. Rank 0 writes the checkpoints. */
    int rank();

    /** The number of ranks W. */
    int size();

    /** x ← Σ over the ranks of x, elementwise; every rank passes an array of the same length and gets the sum. */
    void allReduceSum(float[] x);

    /** Returns when every rank has called it. */
    void barrier();

    /**
     * all[r·n + i] = rank r's mine[i], on every rank (n = mine.length, all.length = size·n): rank r puts its values
     * in its own slot, −0 everywhere else, and sums. This is exact whatever order the sum takes, because x + (−0) = x
     * for every float x (−0 + −0 = −0, +0 + −0 = +0, NaN stays NaN): each slot is one value plus negative zeros.
     * (+0 padding would turn a −0 into +0.) It moves size× the bytes of a gather; for two ranks the trainer uses the
     * plain sum instead (a + b = b + a exactly).
     */
    default void allGather(float[] mine, float[] all) {
        int n = mine.length;
        if (all.length != size() * n) {
            throw new IllegalArgumentException("allGather of " + n + " values over " + size() + " ranks needs "
                    + size() * n + " slots, got " + all.length);
        }
        java.util.Arrays.fill(all, -0f);
        System.arraycopy(mine, 0, all, rank() * n, n);
        if (size() > 1) allReduceSum(all);
    }

    @Override
    default void close() {
    }

    /** The collective of a single process: rank 0 of 1, the sum of one array is itself. */
    static Collective single() {
        return new Collective() {
            @Override public int rank() { return 0; }
            @Override public int size() { return 1; }
            @Override public void allReduceSum(float[] x) { }
            @Override public void barrier() { }
            @Override public String toString() { return "single process"; }
        };
    }
}
