package dip.cluster;

import dip.cli.DipCommand;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * One sampling shard as an ordinary Spark task: `dip sample ARGS --shard k/N`. It writes its shard file atomically,
 * so a task that dies leaves nothing half-written and Spark's retry (spark.task.maxFailures) simply runs it again.
 * A failed run throws, which is what makes Spark retry it.
 */
class ShardTask implements Function<Integer, String> {
    private static final long serialVersionUID = 1L;
    private final ArrayList<String> args;
    private final int shards;

    ShardTask(List<String> args, int shards) {
        this.args = new ArrayList<>(args);
        this.shards = shards;
    }

    /** Called before the shard runs, with Spark's attempt number (0 = first); tests make it fail. */
    void beforeShard(int shard, int attempt) {
    }

    @Override
    public String call(Integer shard) {
        beforeShard(shard, TaskContext.get().attemptNumber());
        StringWriter buf = new StringWriter();
        CommandLine cl = DipCommand.commandLine();
        PrintWriter pw = new PrintWriter(buf, true);
        cl.setOut(pw);
        cl.setErr(pw);
        List<String> argv = new ArrayList<>(args);
        argv.addAll(List.of("--shard", shard + "/" + shards));
        int code = cl.execute(argv.toArray(String[]::new));
        if (code != 0) throw new IllegalStateException("shard " + shard + "/" + shards + " failed (exit " + code + "): "
                + RankTask.tail(buf.toString()));
        return buf.toString();
    }
}
