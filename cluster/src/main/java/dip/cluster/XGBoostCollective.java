package dip.cluster;

import dip.trainer.Collective;
import ml.dmlc.xgboost4j.java.CheckedAllreduce;
import ml.dmlc.xgboost4j.java.Communicator;
import ml.dmlc.xgboost4j.java.XGBoostError;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * The trainer's Collective on XGBoost4J's collective (the pairing XGBoost4J-Spark uses): a RabitTracker on the
 * driver hands out ranks and the ring, and each process joins with {@link #join} (Communicator.init) and sums
 * in XGBoost's native all-reduce over TCP. One rank per JVM: the communicator is a process-wide static. Plain Java
 * classes of the xgboost4j jar, no Scala.
 *
 * <p>The sum goes through one direct buffer of at most {@code bucket} floats, reused, in buckets: a direct buffer
 * cannot hold an XL gradient (675M floats, over 2 GiB), and Communicator.allReduce(float[]) would allocate a fresh
 * one per call, copy float by float and ignore a failed sum (see CheckedAllreduce). Bucketing does not change a
 * bit: each element is still the sum of the same W values.
 */
public final class XGBoostCollective implements Collective {
    /**
     * Floats per all-reduce call by default: 256 Ki floats, 1 MiB. On loopback, buckets of 64 Ki to 1 Mi floats moved
     * the same within noise, 4 Mi floats less and 16 Mi floats 4 to 9 times less (docs/scale-out.md): small enough to
     * stay in cache while XGBoost's ring passes it on, large enough that per-call latency does not count.
     */
    public static final int DEFAULT_BUCKET = 1 << 18;

    private final int rank, size, bucket;
    private ByteBuffer buf;                   // direct, native order, grown up to bucket floats

    private XGBoostCollective(int rank, int size, int bucket) {
        this.rank = rank;
        this.size = size;
        this.bucket = bucket;
    }

    /**
     * Joins the collective the tracker's {@code workerArgs} describe (RabitTracker.getWorkerArgs(), plus this task's
     * "dmlc_task_id"); blocks until every rank has joined.
     */
    public static XGBoostCollective join(Map<String, Object> workerArgs, int bucket) {
        if (bucket < 1) throw new IllegalArgumentException("bucket must be >= 1 float, got " + bucket);
        try {
            Communicator.init(workerArgs);
            return new XGBoostCollective(Communicator.getRank(), Communicator.getWorldSize(), bucket);
        } catch (XGBoostError e) {
            throw new IllegalStateException("cannot join the collective at " + workerArgs.get("dmlc_tracker_uri") + ":"
                    + workerArgs.get("dmlc_tracker_port") + ": " + e.getMessage(), e);
        }
    }

    /** The same communicator, summing in buckets of another size (for measurements; close only one of them). */
    public XGBoostCollective withBucket(int floats) {
        if (floats < 1) throw new IllegalArgumentException("bucket must be >= 1 float, got " + floats);
        return new XGBoostCollective(rank, size, floats);
    }

    @Override public int rank() { return rank; }

    @Override public int size() { return size; }

    @Override
    public void allReduceSum(float[] x) {
        int cap = Math.min(bucket, Math.max(1, x.length));
        if (buf == null || buf.capacity() < 4 * cap) buf = ByteBuffer.allocateDirect(4 * cap).order(ByteOrder.nativeOrder());
        for (int off = 0; off < x.length; off += bucket) {
            int n = Math.min(bucket, x.length - off);
            buf.clear();
            buf.asFloatBuffer().put(x, off, n);
            try {
                CheckedAllreduce.sumFloats(buf, n);
            } catch (XGBoostError e) {
                throw new IllegalStateException("the all-reduce failed on rank " + rank + " (a peer died or timed out): "
                        + e.getMessage().lines().findFirst().orElse(""), e);
            }
            buf.asFloatBuffer().get(x, off, n);
        }
    }

    /** A one-float sum: it cannot finish before every rank has contributed, so it is a rendezvous. */
    @Override
    public void barrier() {
        allReduceSum(new float[1]);
    }

    @Override
    public void close() {
        try {
            Communicator.shutdown();
        } catch (XGBoostError e) {
            throw new IllegalStateException("cannot leave the collective: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() { return "XGBoost collective, rank " + rank + " of " + size; }
}
