package dip.cluster;

import dip.cli.DipCommand;
import dip.io.ModelWeights;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.layers.Param;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.HeadType;
import dip.sampler.CheckpointModel;
import dip.tornado.exec.JavaEngine;
import dip.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sharded sampling on the loopback cluster: a shard task fails its first attempt, Spark retries it, and the merge
 * writes the one-machine bytes (samples.safetensors, grid.png, the --individual PNGs; images from --first-index 3).
 */
class SparkSampleTest {
    @TempDir Path dir;

    /** Fails shard 1's first attempt, after nothing has been written (the retry must then do all of it). */
    static final class FlakyShardTask extends ShardTask {
        FlakyShardTask(List<String> args, int shards) { super(args, shards); }

        @Override
        void beforeShard(int shard, int attempt) {
            if (shard == 1 && attempt == 0) throw new IllegalStateException("shard 1 fails its first attempt (test)");
        }
    }

    @Test
    void twoShardsWithAFailedAttemptMergeIntoTheOneMachineBytes() throws Exception {
        var sc = LoopbackSpark.context();
        DipConfig cfg = new DipConfig(8, 4, 1, 16, 1, 2, 2, 4, HeadType.DIP, false);
        Dip ema = Dip.create(new JavaEngine(1), cfg, 8).initialize(new Rng(1));
        List<Tensor> ts = new ArrayList<>();
        for (Param p : ema.params().all()) ts.add(Tensor.f32(ModelWeights.EMA_PREFIX + p.name(), p.shape(), p.values()));
        Path ckpt = dir.resolve("ckpt.safetensors");
        Safetensors.write(ckpt, ts, Map.of(ModelWeights.CONFIG_KEY, dip.io.DipConfigJson.toJson(cfg),
                CheckpointModel.CLASS_NAMES_KEY, "[\"a\",\"b\"]"));

        List<String> job = List.of("sample", "--checkpoint", ckpt.toString(), "--n-per-class", "4", "--steps", "3",
                "--batch", "4", "--engine", "java", "--threads", "1", "--seed", "5", "--first-index", "3", "--individual");
        Path one = dir.resolve("one"), two = dir.resolve("two");
        List<String> a = new ArrayList<>(job);
        a.addAll(List.of("--out", one.toString()));
        CommandLine cl = DipCommand.commandLine();
        StringWriter log = new StringWriter();
        cl.setOut(new PrintWriter(log, true));
        cl.setErr(new PrintWriter(log, true));
        assertEquals(0, cl.execute(a.toArray(String[]::new)), log.toString());

        List<String> b = new ArrayList<>(job);
        b.addAll(List.of("--out", two.toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = SparkLauncher.sample(sc, 2, b, new PrintStream(out, true, StandardCharsets.UTF_8), new FlakyShardTask(b, 2));
        String said = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, said);
        assertTrue(said.contains("merged 2 shards"), said);
        for (String f : List.of("samples.safetensors", "grid.png")) {
            assertArrayEquals(Files.readAllBytes(one.resolve(f)), Files.readAllBytes(two.resolve(f)), f);
        }
        try (var files = Files.list(one.resolve("images"))) {
            List<Path> images = files.toList();
            assertEquals(8, images.size());
            for (Path p : images) {
                assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(two.resolve("images").resolve(p.getFileName())),
                        p.getFileName().toString());
            }
        }
        try (var files = Files.list(two.resolve("shards"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("0-of-2.safetensors", "1-of-2.safetensors"), names, "partial or stray shard files");
        }
    }
}
