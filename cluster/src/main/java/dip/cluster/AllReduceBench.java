package dip.cluster;

import ml.dmlc.xgboost4j.java.RabitTracker;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times XGBoostCollective.allReduceSum on W ranks of a Spark cluster for gradient sizes given as float counts and
 * for one or more bucket sizes: one warm-up each, then {@code reps} rounds in which every bucket size is timed once
 * (interleaved, so a machine whose load drifts treats them alike); prints the median per size and bucket and the
 * bus bandwidth a ring all-reduce reaches with it (2·(W−1)/W · bytes / time). Usage (through scripts/dip-cluster
 * with DIP_MAIN=dip.cluster.AllReduceBench): {@code MASTER W REPS BUCKET[,BUCKET...] NAME=FLOATS ...}.
 */
public final class AllReduceBench {
    private static final ClassTag<String> STRING = ClassTag$.MODULE$.apply(String.class);

    private AllReduceBench() {
    }

    static final class Task extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>>
            implements Serializable {
        private final HashMap<String, Object> args;
        private final long[] sizes;
        private final int[] buckets;
        private final int reps;

        Task(Map<String, Object> args, long[] sizes, int reps, int[] buckets) {
            this.args = new HashMap<>(args);
            this.sizes = sizes;
            this.reps = reps;
            this.buckets = buckets;
        }

        @Override
        public scala.collection.Iterator<String> apply(scala.collection.Iterator<Integer> it) {
            Map<String, Object> a = new HashMap<>(args);
            a.put("dmlc_task_id", Integer.toString(BarrierTaskContext.get().partitionId()));
            List<String> out = new ArrayList<>();
            try (XGBoostCollective c = XGBoostCollective.join(a, buckets[0])) {
                for (long n : sizes) {
                    float[] g = new float[(int) n];
                    Arrays.fill(g, 1f);
                    double[][] ms = new double[buckets.length][reps];
                    for (int b = 0; b < buckets.length; b++) c.withBucket(buckets[b]).allReduceSum(g);   // warm-up
                    for (int r = 0; r < reps; r++) {
                        for (int b = 0; b < buckets.length; b++) {
                            XGBoostCollective cb = c.withBucket(buckets[b]);
                            c.barrier();
                            long t0 = System.nanoTime();
                            cb.allReduceSum(g);
                            ms[b][r] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                    for (int b = 0; b < buckets.length; b++) {
                        Arrays.sort(ms[b]);
                        out.add(c.rank() + " " + n + " " + buckets[b] + " " + ms[b][reps / 2] + " " + ms[b][0] + " "
                                + ms[b][reps - 1]);
                    }
                }
            }
            return scala.jdk.javaapi.CollectionConverters.asScala(out.iterator());
        }
    }

    public static void main(String[] argv) throws Exception {
        String master = argv[0];
        int W = Integer.parseInt(argv[1]), reps = Integer.parseInt(argv[2]);
        int[] buckets = Arrays.stream(argv[3].split(",")).mapToInt(Integer::parseInt).toArray();
        String[] names = new String[argv.length - 4];
        long[] sizes = new long[names.length];
        for (int i = 4; i < argv.length; i++) {
            String[] kv = argv[i].split("=");
            names[i - 4] = kv[0];
            sizes[i - 4] = Long.parseLong(kv[1]);
        }
        JavaSparkContext sc = SparkLauncher.context(master, "dip all-reduce bench");
        RabitTracker tracker = SparkLauncher.startTracker(W, sc.getConf().get("spark.driver.host", "127.0.0.1"));
        try {
            List<Integer> parts = new ArrayList<>();
            for (int r = 0; r < W; r++) parts.add(r);
            List<String> rows = JavaRDD.fromRDD(sc.parallelize(parts, W).rdd().barrier().mapPartitions(
                    new Task(SparkLauncher.workerArgs(tracker), sizes, reps, buckets), false, STRING), STRING).collect();
            System.out.printf(Locale.ROOT, "W=%d, %s, median of %d (min..max), rank 0:%n", W, master, reps);
            System.out.println("| gradient | floats | MiB | bucket (floats) | all-reduce ms | bus GB/s |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            for (String r : rows) {
                String[] f = r.split(" ");
                if (!f[0].equals("0")) continue;
                long n = Long.parseLong(f[1]);
                int i = 0;
                while (sizes[i] != n) i++;
                double med = Double.parseDouble(f[3]);
                System.out.printf(Locale.ROOT, "| %s | %,d | %.1f | %,d | %.1f (%.1f..%.1f) | %.2f |%n", names[i], n,
                        n * 4 / 1048576.0, Integer.parseInt(f[2]), med, Double.parseDouble(f[4]), Double.parseDouble(f[5]),
                        2.0 * (W - 1) / W * n * 4 / (med * 1e6));
            }
        } finally {
            tracker.stop();
            sc.stop();
        }
    }
}
