package dip.cluster;

import dip.cli.DipCommand;
import dip.trainer.TrainCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `dip train --cluster` on a real two-executor Spark cluster on loopback: W = 2 gives the bits of W = 1, and a killed
 * executor costs a restart from the last checkpoint, not a bit of the result.
 */
class SparkTrainTest {
    @TempDir static Path dir;
    static Path data;

    @BeforeAll
    static void cluster() throws Exception {
        LoopbackSpark.context();
        data = LoopbackSpark.imageFolder(dir.resolve("data"), 16, 8, 7);
    }

    record Result(int code, String out) { }

    static Result dip(List<String> args) {
        CommandLine cl = DipCommand.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        return new Result(cl.execute(args.toArray(String[]::new)), out.toString());
    }

    /** TINY at 8×8, batch 4 in 2 gradient groups, on W workers of the loopback cluster. */
    static List<String> train(Path out, int steps, int workers, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--cluster", LoopbackSpark.MASTER, "--workers",
                Integer.toString(workers), "--groups", "2", "--data", "folder", "--data-dir", data.toString(),
                "--channels", "1", "--preset", "TINY", "--image-size", "8", "--patch-size", "4", "--batch-size", "4",
                "--epochs", "1000", "--max-steps", Integer.toString(steps), "--threads", "1", "--engine", "java",
                "--no-sample-every-epoch", "--lr", "1e-3", "--ema-decay", "0.9", "--log-every", "1",
                "--out", out.toString()));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void twoWorkersWriteTheBitsOfOne() throws Exception {
        Result one = dip(train(dir.resolve("w1"), 4, 1));
        assertEquals(0, one.code(), one.out());
        Result two = dip(train(dir.resolve("w2"), 4, 2));
        assertEquals(0, two.code(), two.out());
        assertTrue(two.out().contains("done: 4 steps"), two.out());
        assertArrayEquals(Files.readAllBytes(dir.resolve("w1/last.safetensors")),
                Files.readAllBytes(dir.resolve("w2/last.safetensors")), "W=1 and W=2 checkpoints differ");
    }

    /** The executor JVMs: the Workers of local-cluster start them as children of this JVM (java, and nothing else). */
    static java.util.stream.Stream<ProcessHandle> executors() {
        return ProcessHandle.current().descendants().filter(p -> p.info().command().orElse("").endsWith("/java"));
    }

    @Test
    void aKilledExecutorCostsARestartNotABit() throws Exception {
        int steps = 60;
        Result ref = dip(train(dir.resolve("ref"), steps, 2, "--checkpoint-every", "5"));
        assertEquals(0, ref.code(), ref.out());
        Path o = dir.resolve("killed");
        CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> dip(train(o, steps, 2, "--checkpoint-every", "5")));
        long killedAt = -1;
        while (!run.isDone() && killedAt < 0) {
            Path last = o.resolve("last.safetensors");
            long step = -1;
            try {
                if (Files.exists(last)) step = TrainCheckpoint.readHeader(last).step();
            } catch (Exception e) {
                // being renamed into place: look again
            }
            if (step >= 10) {
                Optional<ProcessHandle> executor = executors().findFirst();
                if (executor.isPresent()) {
                    executor.get().destroyForcibly();
                    killedAt = step;
                }
            }
            Thread.sleep(5);
        }
        Result r = run.get();
        assertTrue(killedAt >= 0, "the run finished before an executor could be killed (executors seen: "
                + executors().map(p -> p.info().toString()).toList() + "): " + r.out());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("restarting from " + o.resolve("last.safetensors")), r.out());
        assertArrayEquals(Files.readAllBytes(dir.resolve("ref/last.safetensors")), Files.readAllBytes(o.resolve("last.safetensors")),
                "the restarted run ended with other weights than the uninterrupted one (killed at step " + killedAt + ")");
    }
}
