package dip.test;

import dip.cli.DipCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Same command, same bytes: `dip train` and `dip sample` run in fresh JVMs (the current java and classpath) with
 * different JIT settings and thread counts, and a training run stopped by SIGTERM and resumed, each compared byte
 * for byte with the others. The JIT settings: C1 only (the Vector API's Java fallback, lane by lane, throughout),
 * C2 early (the engine's package compiled by C2 after a few dozen calls, each compilation waited for), and the
 * default. The TINY runs are at 32 px (64 tokens), so attention takes its Vector API path too.
 */
class ReproducibleRunTest {
    static final List<String> C1_ONLY = List.of("-XX:TieredStopAtLevel=1");
    static final List<String> C2_EARLY = List.of("-XX:CompileCommand=quiet",
            "-XX:CompileCommand=CompileThresholdScaling,dip.tornado.exec.*::*,0.01", "-XX:-BackgroundCompilation");
    static final List<String> DEFAULT = List.of();

    @TempDir Path dir;

    @Test
    void trainingAndSamplingGiveTheSameBytesWhateverTheJitAndThreadCount() throws Exception {
        Path data = images(dir.resolve("images"));
        List<Child> train = new ArrayList<>();
        String[][] variants = {{"c1", "1"}, {"c2", "1"}, {"default", "2"}};
        List<List<String>> flags = List.of(C1_ONLY, C2_EARLY, DEFAULT);
        for (int i = 0; i < variants.length; i++) {
            train.add(start(flags.get(i), "train", "--preset", "TINY", "--image-size", "32", "--data", "folder",
                    "--data-dir", data.toString(), "--channels", "1", "--batch-size", "8", "--epochs", "10",
                    "--max-steps", "3", "--threads", variants[i][1], "--out", dir.resolve(variants[i][0]).toString(),
                    "--no-sample-every-epoch", "--log-every", "1", "--lr", "1e-3", "--ema-decay", "0.5"));
        }
        for (Child c : train) c.finish();
        byte[] want = Files.readAllBytes(dir.resolve("c1/last.safetensors"));
        assertArrayEquals(want, Files.readAllBytes(dir.resolve("c2/last.safetensors")), "checkpoint: C1 vs C2, 1 thread");
        assertArrayEquals(want, Files.readAllBytes(dir.resolve("default/last.safetensors")),
                "checkpoint: C1 on 1 thread vs default JIT on 2 threads");

        String ckpt = dir.resolve("c1/last.safetensors").toString();
        Child s1 = start(C1_ONLY, "sample", "--checkpoint", ckpt, "--n-per-class", "2", "--steps", "3", "--threads", "1",
                "--out", dir.resolve("s1").toString());
        Child s2 = start(C2_EARLY, "sample", "--checkpoint", ckpt, "--n-per-class", "2", "--steps", "3", "--threads", "2",
                "--out", dir.resolve("s2").toString());
        s1.finish();
        s2.finish();
        for (String f : List.of("samples.safetensors", "grid.png")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("s1").resolve(f)), Files.readAllBytes(dir.resolve("s2").resolve(f)),
                    f + ": C1 on 1 thread vs C2 on 2 threads");
        }
    }

    @Test
    void resumeAfterSigtermGivesTheSameCheckpointAsAStraightRun() throws Exception {
        Path data = images(dir.resolve("images"));
        int steps = 6;
        List<String> args = List.of("train", "--preset", "MICRO", "--data", "folder", "--data-dir", data.toString(),
                "--channels", "1", "--batch-size", "8", "--epochs", "10", "--max-steps", Integer.toString(steps),
                "--threads", "1", "--no-sample-every-epoch", "--log-every", "1", "--lr", "1e-3", "--ema-decay", "0.5");
        Child straight = start(DEFAULT, concat(args, "--out", dir.resolve("straight").toString()));
        Child stopped = start(DEFAULT, concat(args, "--out", dir.resolve("stopped").toString()));
        String first = stopped.awaitLine(l -> l.startsWith("step 1/"));
        // SIGTERM (ProcessHandle.destroy, unlike Process.destroy, leaves our end of the pipes open): the run saves at
        // the next step boundary and exits 0.
        assertTrue(stopped.process.toHandle().destroy(), "could not send SIGTERM");
        String out = stopped.finish();
        assertTrue(out.contains("stopped at step"), "SIGTERM after \"" + first + "\" did not stop the run early:\n" + out);
        straight.finish();

        start(DEFAULT, "train", "--resume", dir.resolve("stopped").toString(), "--epochs", "10", "--max-steps",
                Integer.toString(steps), "--threads", "1", "--log-every", "1").finish();
        assertArrayEquals(Files.readAllBytes(dir.resolve("straight/last.safetensors")),
                Files.readAllBytes(dir.resolve("stopped/last.safetensors")), "straight run vs stopped and resumed");
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** A child JVM running the `dip` command line, its stdout and stderr merged and collected. */
    static final class Child {
        final Process process;
        final List<String> cmd;
        private final StringBuilder out = new StringBuilder();
        private final BufferedReader reader;

        Child(List<String> cmd) throws IOException {
            this.cmd = cmd;
            this.process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            this.reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /** Reads output up to the first line that matches (and returns it); fails if the process ends first. */
        String awaitLine(java.util.function.Predicate<String> match) throws IOException {
            for (String line; (line = reader.readLine()) != null; ) {
                out.append(line).append('\n');
                if (match.test(line)) return line;
            }
            throw new AssertionError("the run ended before the expected line:\n" + out);
        }

        /** Reads the rest of the output, waits for the exit, and fails unless it is 0. Returns all the output. */
        String finish() throws IOException, InterruptedException {
            for (String line; (line = reader.readLine()) != null; ) out.append(line).append('\n');
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("did not finish: " + cmd);
            }
            assertEquals(0, process.exitValue(), String.join(" ", cmd) + "\n" + out);
            return out.toString();
        }
    }

    static Child start(List<String> jvmFlags, String... args) throws IOException {
        return start(jvmFlags, List.of(args));
    }

    static Child start(List<String> jvmFlags, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-Djava.awt.headless=true");
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(DipCommand.class.getName());
        cmd.addAll(args);
        return new Child(cmd);
    }

    static List<String> concat(List<String> a, String... more) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(more));
        return all;
    }

    /** An image folder: 2 classes of 8 gray 32×32 PNGs (horizontal vs vertical ramps with noise). */
    static Path images(Path root) throws IOException {
        Random rng = new Random(7);
        for (int c = 0; c < 2; c++) {
            Path d = Files.createDirectories(root.resolve("class" + c));
            for (int i = 0; i < 8; i++) {
                BufferedImage im = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) im.getRaster().setSample(x, y, 0, ((c == 0 ? x : y) * 8 + rng.nextInt(20)) & 255);
                }
                ImageIO.write(im, "png", d.resolve("img" + i + ".png").toFile());
            }
        }
        return root;
    }
}
