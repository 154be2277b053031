package dip.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What `dip train --cluster` and `dip sample --cluster` hand over to a cluster runtime. The one implementation
 * lives in the optional dip-cluster module (Apache Spark in barrier mode, XGBoost4J's collective) and is found with
 * java.util.ServiceLoader, so this jar runs without Spark and the commands say how to get it when it is missing.
 */
public interface ClusterLauncher {

    /**
     * Runs `dip train` on {@code job.workers()} ranks (each rank runs {@link TrainCommand} with {@code
     * job.argsFor(attempt)} and its rank's collective), restarting from the last checkpoint when a rank or an
     * executor fails, up to {@code job.maxRestarts()} times. Returns the exit code.
     */
    int train(TrainJob job, PrintStream out) throws IOException;

    /**
     * Runs `dip sample` as {@code shards} ordinary tasks (`--shard k/N` added to {@code args}), each retried by the
     * cluster on failure and writing its shard atomically; then merges the shards into {@code output}. Returns the
     * exit code.
     */
    int sample(String master, int shards, List<String> args, Path output, PrintStream out) throws IOException;

    /** Finds the launcher on the class path, or says how to get one. */
    static ClusterLauncher find() {
        return java.util.ServiceLoader.load(ClusterLauncher.class).findFirst().orElseThrow(() -> new BadInput(
                "--cluster needs Spark and the dip-cluster jar on the class path: run `scripts/dip-cluster` or "
                        + "`spark-submit --class dip.cli.DipCommand cluster/target/dip-cluster.jar ...` (docs/scale-out.md)"));
    }

    /**
     * A training job: the Spark master, the worker count, the restart budget, and the arguments every rank's `dip
     * train` gets (--out absolute, --cluster and the other driver options removed).
     *
     * @param timeoutSeconds how long a rank waits in one collective call before it gives up (a peer that hangs
     *                       without dying), which fails the attempt and so restarts it
     * @param resume         the run the first attempt continues (the user's --resume), or null
     */
    record TrainJob(String master, int workers, int maxRestarts, int timeoutSeconds, String collective, List<String> args, Path outDir,
                    Path resume) {
        public TrainJob {
            args = List.copyOf(args);
        }

        /**
         * The ranks' arguments for attempt {@code attempt} (0 = the first): a restart resumes from the checkpoint
         * the failed attempt left in outDir, if it left one; the checkpoint holds no worker count, so any W can.
         */
        public List<String> argsFor(int attempt) {
            List<String> a = new ArrayList<>(args);
            Path from = attempt > 0 && Files.exists(outDir.resolve("last.safetensors")) ? outDir : resume;
            if (from != null) {
                a.add("--resume");
                a.add(from.toString());
            }
            return a;
        }
    }
}
