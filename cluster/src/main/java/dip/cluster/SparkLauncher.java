package dip.cluster;

import dip.cli.ClusterLauncher;
import dip.cli.ExitCodes;
import ml.dmlc.xgboost4j.java.RabitTracker;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Spark side of `dip train --cluster` (the driver): for each attempt, a fresh XGBoost RabitTracker on the
 * driver and one barrier stage of W tasks (Spark starts them together or not at all, RankTask). Spark does not
 * retry a failed barrier result stage (the job fails), so the driver catches the failure, stops the tracker and
 * submits again; the ranks then resume from the checkpoint rank 0 last wrote, losing at most one checkpoint
 * interval. A rank whose peer died gets a socket error from the collective; one whose peer hangs gives up after
 * the collective timeout; Spark then kills the rest of the stage, and its task reaper ends an executor whose task
 * does not stop (a thread in native code ignores interrupts).
 */
public final class SparkLauncher implements ClusterLauncher {
    private static final ClassTag<String> STRING = ClassTag$.MODULE$.apply(String.class);

    /** Makes the Spark context for a master, or returns the one this JVM already runs (spark-submit, tests). */
    static JavaSparkContext context(String master, String app) {
        SparkConf conf = new SparkConf().setAppName(app);     // also reads every spark.* system property
        if (!conf.contains("spark.master")) conf.setMaster(master);
        // A task stuck in native code (an all-reduce) ignores Spark's interrupt; the reaper ends its executor JVM.
        conf.setIfMissing("spark.task.reaper.enabled", "true");
        conf.setIfMissing("spark.task.reaper.killTimeout", "120s");
        return JavaSparkContext.fromSparkContext(SparkContext.getOrCreate(conf));
    }

    /** True when this JVM already runs a Spark context (then a command uses it and leaves it running). */
    private static boolean running() {
        return org.apache.spark.SparkContext$.MODULE$.getActive().isDefined();
    }

    @Override
    public int train(TrainJob job, PrintStream out) throws IOException {
        boolean shared = running();
        JavaSparkContext sc = context(job.master(), "dip train");
        try {
            return train(sc, job, out);
        } finally {
            if (!shared) sc.stop();                                   // ours: stop it before the JVM exits
        }
    }

    private static int train(JavaSparkContext sc, TrainJob job, PrintStream out) {
        List<Integer> parts = new ArrayList<>();
        for (int r = 0; r < job.workers(); r++) parts.add(r);
        String host = sc.getConf().get("spark.driver.host", "127.0.0.1");
        for (int attempt = 0; ; attempt++) {
            RabitTracker tracker = startTracker(job.workers(), host);
            try {
                Map<String, Object> workerArgs = workerArgs(tracker);
                workerArgs.put("dmlc_timeout", job.timeoutSeconds());   // XGBoost's per-call collective timeout
                JavaRDD<Integer> ranks = sc.parallelize(parts, job.workers());
                List<String> results = JavaRDD.fromRDD(ranks.rdd().barrier()
                        .mapPartitions(new RankTask(workerArgs, job.argsFor(attempt), XGBoostCollective.DEFAULT_BUCKET, job.collective()),
                                false, STRING), STRING).collect();
                int code = ExitCodes.OK;
                for (String r : results) {
                    String[] f = r.split("\t", 3);
                    if (f[0].equals("0")) out.print(f[2]);           // rank 0's console: progress and the summary
                    code = Math.max(code, Integer.parseInt(f[1]));
                }
                if (attempt > 0) out.println("finished after " + attempt + " restart(s)");
                return code;
            } catch (Exception e) {                                   // a task or an executor failed (SparkException)
                String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
                out.println("attempt " + (attempt + 1) + " failed: " + why);
                if (attempt >= job.maxRestarts()) {
                    out.println("error: gave up after " + (attempt + 1) + " attempt(s) (--max-restarts "
                            + job.maxRestarts() + "); " + (Files.exists(job.outDir().resolve("last.safetensors"))
                            ? "the last checkpoint is in " + job.outDir() : "no checkpoint was written"));
                    return ExitCodes.ERROR;
                }
                Path last = job.outDir().resolve("last.safetensors");
                out.println("restarting " + (Files.exists(last) ? "from " + last : "from the start"));
            } finally {
                stop(tracker);
            }
        }
    }

    @Override
    public int sample(String master, int shards, List<String> args, Path output, PrintStream out) throws IOException {
        boolean shared = running();
        JavaSparkContext sc = context(master, "dip sample");
        try {
            return sample(sc, shards, args, out, new ShardTask(args, shards));
        } finally {
            if (!shared) sc.stop();
        }
    }

    /**
     * The shards as N ordinary tasks (Spark retries each on failure), then the merge here on the driver: `dip sample
     * ARGS --merge-shards N`, which writes what one machine would have written.
     */
    static int sample(JavaSparkContext sc, int shards, List<String> args, PrintStream out, ShardTask task) {
        List<Integer> ks = new ArrayList<>();
        for (int k = 0; k < shards; k++) ks.add(k);
        try {
            sc.parallelize(ks, shards).map(task).collect();
        } catch (Exception e) {                                       // a shard failed every attempt Spark gave it
            out.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("")));
            return ExitCodes.ERROR;
        }
        picocli.CommandLine cl = dip.cli.DipCommand.commandLine();
        java.io.PrintWriter pw = new java.io.PrintWriter(out, true);
        cl.setOut(pw);
        cl.setErr(pw);
        List<String> merge = new ArrayList<>(args);
        merge.addAll(List.of("--merge-shards", Integer.toString(shards)));
        return cl.execute(merge.toArray(String[]::new));
    }

    static RabitTracker startTracker(int workers, String host) {
        try {
            RabitTracker t = new RabitTracker(workers, host);
            if (!t.start()) throw new IllegalStateException("the XGBoost tracker did not start on " + host);
            return t;
        } catch (XGBoostError e) {
            throw new IllegalStateException("cannot start the XGBoost tracker on " + host + ": " + e.getMessage(), e);
        }
    }

    static Map<String, Object> workerArgs(RabitTracker t) {
        try {
            return new HashMap<>(t.getWorkerArgs());
        } catch (XGBoostError e) {
            throw new IllegalStateException("the XGBoost tracker gave no worker arguments: " + e.getMessage(), e);
        }
    }

    private static void stop(RabitTracker t) {
        try {
            t.stop();
        } catch (XGBoostError e) {
            // the job is over either way; a tracker that will not stop holds only a port
        }
    }
}
