package dip.cluster;

import ml.dmlc.xgboost4j.java.RabitTracker;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The plumbing alone: a barrier stage of two tasks in two executor JVMs sums through XGBoost's collective. */
class CollectiveSmokeTest {
    private static final ClassTag<String> STRING = ClassTag$.MODULE$.apply(String.class);

    /** Each rank contributes {rank + 1, 10·(rank + 1)}, then a −0 and a NaN through allGather; reports what it got. */
    static final class SumTask extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>>
            implements Serializable {
        private final HashMap<String, Object> args;

        SumTask(Map<String, Object> args) { this.args = new HashMap<>(args); }

        @Override
        public scala.collection.Iterator<String> apply(scala.collection.Iterator<Integer> it) {
            Map<String, Object> a = new HashMap<>(args);
            a.put("dmlc_task_id", Integer.toString(BarrierTaskContext.get().partitionId()));
            try (XGBoostCollective c = XGBoostCollective.join(a, 1)) {        // bucket 1: one call per float
                float[] x = {c.rank() + 1, 10f * (c.rank() + 1)};
                c.allReduceSum(x);
                float[] all = new float[c.size()];
                c.allGather(new float[]{c.rank() == 0 ? -0f : Float.NaN}, all);
                c.barrier();
                String got = x[0] + "," + x[1] + "," + Float.floatToRawIntBits(all[0]) + "," + Float.isNaN(all[1]);
                return scala.jdk.javaapi.CollectionConverters.asScala(
                        List.of(c.rank() + " " + ProcessHandle.current().pid() + " " + got).iterator());
            }
        }
    }

    @Test
    void twoExecutorJvmsSumThroughTheXGBoostCollective() throws Exception {
        JavaSparkContext sc = LoopbackSpark.context();
        RabitTracker tracker = SparkLauncher.startTracker(2, "127.0.0.1");
        try {
            JavaRDD<Integer> parts = sc.parallelize(List.of(0, 1), 2);
            List<String> out = JavaRDD.fromRDD(parts.rdd().barrier()
                    .mapPartitions(new SumTask(SparkLauncher.workerArgs(tracker)), false, STRING), STRING).collect();
            assertEquals(2, out.size(), out.toString());
            String[] a = out.get(0).split(" "), b = out.get(1).split(" ");
            assertNotEquals(a[1], b[1], "both ranks ran in one JVM: " + out);
            assertNotEquals(Long.toString(ProcessHandle.current().pid()), a[1], "a rank ran in the driver: " + out);
            String want = "3.0,30.0," + Float.floatToRawIntBits(-0f) + ",true";
            assertEquals(want, a[2], out.toString());
            assertEquals(want, b[2], out.toString());
        } finally {
            tracker.stop();
        }
    }
}
