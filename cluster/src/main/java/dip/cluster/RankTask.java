package dip.cluster;

import dip.cli.DipCommand;
import dip.cli.TrainCommand;
import dip.trainer.Collective;
import org.apache.spark.BarrierTaskContext;
import picocli.CommandLine;
import scala.runtime.AbstractFunction1;

import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of one barrier task of a training job: join the collective (XGBoost's, with this task's id; or NCCL's,
 * with the id rank 0 makes and the barrier's allGather hands round, on the GPU Spark gave this task), then run `dip train`
 * with the job's arguments as that rank (TrainCommand bound to the collective). Returns "rank, exit code, output".
 * A rank that fails for any reason other than bad input throws, so Spark fails the barrier stage and the driver
 * restarts the job from the last checkpoint.
 */
final class RankTask extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>>
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private final HashMap<String, Object> workerArgs;
    private final ArrayList<String> args;
    private final int bucket;
    private final String collective;          // "xgboost" or "nccl"

    RankTask(Map<String, Object> workerArgs, List<String> args, int bucket, String collective) {
        this.workerArgs = new HashMap<>(workerArgs);
        this.args = new ArrayList<>(args);
        this.bucket = bucket;
        this.collective = collective;
    }

    @Override
    public scala.collection.Iterator<String> apply(scala.collection.Iterator<Integer> partition) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        Map<String, Object> a = new HashMap<>(workerArgs);
        a.put("dmlc_task_id", Integer.toString(ctx.partitionId()));
        StringWriter buf = new StringWriter();
        int code, rank;
        try (Collective c = collective.equals("nccl") ? joinNccl(ctx, bucket) : XGBoostCollective.join(a, bucket)) {
            rank = c.rank();
            CommandLine cl = DipCommand.commandLine(new RankFactory(c));
            PrintWriter pw = new PrintWriter(new Tee(buf), true);      // live in the executor's log, and returned
            cl.setOut(pw);
            cl.setErr(pw);
            List<String> argv = new ArrayList<>(List.of("train"));
            argv.addAll(args);
            code = cl.execute(argv.toArray(String[]::new));
        }
        if (code != 0 && code != 2) {
            throw new IllegalStateException("rank " + rank + " failed with exit code " + code + ": " + tail(buf.toString()));
        }
        return scala.jdk.javaapi.CollectionConverters.asScala(List.of(rank + "\t" + code + "\t" + buf).iterator());
    }

    /**
     * Joins NCCL's collective: rank 0 makes the id, the barrier's allGather gives it to every rank, and each rank
     * takes the GPU Spark assigned its task. NcclCollective exists only in a jar built with the nccl profile.
     */
    private static Collective joinNccl(BarrierTaskContext ctx, int bucket) {
        Class<?> nccl;
        try {
            nccl = Class.forName("dip.cluster.nccl.NcclCollective");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("--collective nccl: this dip-cluster jar was built without NCCL; build it"
                    + " with mvn -Pnccl package -pl cluster -am (docs/scale-out.md)");
        }
        var gpu = ctx.resourcesJMap().get("gpu");
        if (gpu == null || gpu.addresses().length != 1) {
            throw new IllegalStateException("--collective nccl needs one GPU per rank: run Spark with"
                    + " spark.task.resource.gpu.amount=1 and a GPU discovery script (docs/scale-out.md)");
        }
        try {
            String mine = ctx.partitionId() == 0 ? (String) nccl.getMethod("newId").invoke(null) : "";
            String id = java.util.Arrays.stream(ctx.allGather(mine)).filter(s -> !s.isEmpty()).findFirst().orElseThrow();
            return (Collective) nccl.getMethod("join", String.class, int.class, int.class, int.class, int.class)
                    .invoke(null, id, ctx.partitionId(), ctx.getTaskInfos().length, Integer.parseInt(gpu.addresses()[0]), bucket);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("dip.cluster.nccl.NcclCollective does not match this jar: " + e, e);
        }
    }

    static String tail(String s) {
        String t = s.strip();
        return t.length() > 2000 ? "..." + t.substring(t.length() - 2000) : t;
    }

    /** Writes to the buffer that goes back to the driver and to this executor's stdout (its log, read while it runs). */
    private static final class Tee extends java.io.Writer {
        private final StringWriter buf;

        Tee(StringWriter buf) { this.buf = buf; }

        @Override public void write(char[] c, int off, int len) {
            buf.write(c, off, len);
            System.out.print(new String(c, off, len));
        }

        @Override public void flush() { System.out.flush(); }

        @Override public void close() { flush(); }
    }

    /** Makes the train subcommand bound to this rank's collective, and every other command as usual. */
    private record RankFactory(Collective comm) implements CommandLine.IFactory {
        @Override
        @SuppressWarnings("unchecked")
        public <K> K create(Class<K> cls) throws Exception {
            if (cls == TrainCommand.class) return (K) new TrainCommand(comm);
            return CommandLine.defaultFactory().create(cls);
        }
    }
}
