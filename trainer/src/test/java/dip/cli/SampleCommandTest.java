package dip.cli;

import dip.sampler.EulerSampler;
import dip.sampler.Guidance;
import dip.sampler.CheckpointModel;
import dip.sampler.Sampler;
import dip.io.ModelWeights;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.layers.Param;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.HeadType;
import dip.tornado.exec.JavaEngine;
import dip.util.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dip sample` end to end on a tiny random Dip: outputs, EMA weights, noise file, and every bad-input exit. */
class SampleCommandTest {
    static final DipConfig CFG = new DipConfig(8, 4, 1, 16, 1, 2, 3, 4, HeadType.DIP, false);
    static final String NAMES = "[\"cat\",\"dog\",\"T-shirt/top\"]";

    @TempDir static Path dir;
    static Path ckpt;
    static Dip ema;           // the weights sampling must use

    record Run(int code, String out, String err) { }

    static Run run(String... args) {
        CommandLine cl = DipCommand.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "sample";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = cl.execute(all);
        return new Run(code, out.toString(), err.toString());
    }

    /** A checkpoint with EMA weights (random) and different online weights (another seed), as training writes. */
    @BeforeAll
    static void writeCheckpoint() throws IOException {
        ema = Dip.create(new JavaEngine(1), CFG, 8).initialize(new Rng(1));
        Dip online = Dip.create(new JavaEngine(1), CFG, 8).initialize(new Rng(2));
        List<Tensor> tensors = new ArrayList<>();
        for (Param p : ema.params().all()) tensors.add(Tensor.f32(ModelWeights.EMA_PREFIX + p.name(), p.shape(), p.values()));
        for (Param p : online.params().all()) tensors.add(Tensor.f32(ModelWeights.DENOISER_PREFIX + p.name(), p.shape(), p.values()));
        ckpt = dir.resolve("ckpt.safetensors");
        Safetensors.write(ckpt, tensors, Map.of(ModelWeights.CONFIG_KEY, dip.io.DipConfigJson.toJson(CFG),
                CheckpointModel.CLASS_NAMES_KEY, NAMES));
    }

    /** What the Java API gives with the EMA model: labels, seed noise, paper guidance, Euler. */
    static float[] expected(int[] labels, float[] noise, int steps) {
        return new EulerSampler(ema, steps, Guidance.paper()).sample(noise.clone(), labels, labels.length);
    }

    @Test
    void writesGridImagesTrajectoryAndTheEmaSamples() throws IOException {
        Path out = dir.resolve("run1");
        Run r = run("--checkpoint", ckpt.toString(), "--class", "dog,0", "--n-per-class", "2", "--steps", "3",
                "--out", out.toString(), "--individual", "--trajectory", "--engine", "java", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("EMA weights"), r.out());
        for (String f : new String[]{"grid.png", "samples.safetensors", "images/dog_000.png", "images/cat_003.png",
                "trajectory.gif", "trajectory/frame_000.png", "trajectory/frame_003.png"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing; out: " + r.out());
        }
        var got = Safetensors.read(out.resolve("samples.safetensors"));
        int[] labels = {1, 1, 0, 0};
        assertArrayEquals(labels, got.tensor("labels").ints());
        float[] noise = noise(0, 0, 4);          // image b from (seed 0, index b)
        assertArrayEquals(noise, got.tensor("noise").floats(), 0f);
        float[] stored = got.tensor("samples").floats(), clamped = expected(labels, noise, 3);
        assertArrayEquals(clamped, clamp(stored), 0f, "samples vs the EMA model");
        assertTrue(outside(stored) > 0, "the stored samples are the unclamped ODE result: some lie outside [-1, 1]");
    }

    /** The noise `dip sample --seed seed --first-index first` starts B images of 64 values from. */
    static float[] noise(long seed, long first, int B) {
        float[] out = new float[B * 64];
        for (int b = 0; b < B; b++) {
            float[] one = new Rng(seed ^ new Rng(first + b).nextLong()).normal(64);
            System.arraycopy(one, 0, out, b * 64, 64);
        }
        return out;
    }

    static float[] clamp(float[] x) {
        float[] c = new float[x.length];
        for (int i = 0; i < x.length; i++) c[i] = Math.max(-1f, Math.min(1f, x[i]));
        return c;
    }

    static int outside(float[] x) {
        int n = 0;
        for (float v : x) if (Math.abs(v) > 1f) n++;
        return n;
    }

    @Test
    void samplesSafetensorsHoldsTheUnclampedResultOfBothSolversAndThePngClipsIt() throws IOException {
        for (String solver : new String[]{"euler", "heun"}) {
            Path out = dir.resolve("unclamped-" + solver);
            // 3 images: the guided batch of 6 fits the test model's maxBatch 8, so both run the same chunks
            Run r = run("--checkpoint", ckpt.toString(), "--n-per-class", "1", "--steps", "4", "--solver", solver,
                    "--cfg-scale", "4", "--out", out.toString(), "--engine", "java", "--threads", "1", "--individual");
            assertEquals(0, r.code(), r.err());
            float[] stored = Safetensors.read(out.resolve("samples.safetensors")).tensor("samples").floats();
            int[] labels = {0, 1, 2};
            float[] noise = noise(0, 0, 3);
            Sampler s = dip.sampler.Solver.valueOf(solver.toUpperCase()).create(ema, 4, new Guidance(4f, 0.11f, 0.97f));
            assertArrayEquals(s.sample(noise.clone(), labels, 3), clamp(stored), 0f, solver);
            assertTrue(outside(stored) > 0, solver + ": nothing outside [-1, 1] to tell clamped from unclamped");
            // the PNG is the official uint8 of the stored values (clipped there, not before)
            var png = javax.imageio.ImageIO.read(out.resolve("images/cat_000.png").toFile());
            assertEquals(Sampler.toUint8(stored[0]), png.getRaster().getSample(0, 0, 0));
        }
    }

    @Test
    void noiseFileReplacesTheSeed() throws IOException {
        float[] noise = Sampler.noise(42, 3, 64);
        Path nf = dir.resolve("noise.safetensors");
        Safetensors.write(nf, List.of(Tensor.f32("noise", new int[]{3, 1, 8, 8}, noise)), Map.of());
        Path out = dir.resolve("run2");
        Run r = run("--checkpoint", ckpt.toString(), "--class", "T-SHIRT/TOP", "--n-per-class", "3", "--steps", "2",
                "--noise", nf.toString(), "--out", out.toString(), "--no-grid", "--engine", "java");
        assertEquals(0, r.code(), r.err());
        assertTrue(!Files.exists(out.resolve("grid.png")), "--no-grid");
        float[] got = Safetensors.read(out.resolve("samples.safetensors")).tensor("samples").floats();
        assertArrayEquals(expected(new int[]{2, 2, 2}, noise, 2), clamp(got), 0f);
        Run wrong = run("--checkpoint", ckpt.toString(), "--class", "1", "--n-per-class", "2", "--noise", nf.toString(),
                "--out", out.toString());
        assertBadFile(wrong, "has shape [3, 1, 8, 8] but 2 images of this model need [2, 1, 8, 8]");
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws IOException {
        String c = ckpt.toString(), o = dir.resolve("bad").toString();
        assertBadInput(run("--checkpoint", c, "--class", "horse", "--out", o),
                "unknown class 'horse'; valid classes: 0 'cat', 1 'dog', 2 'T-shirt/top'");
        assertBadInput(run("--checkpoint", c, "--class", "3", "--out", o), "unknown class '3'");
        assertBadInput(run("--checkpoint", c, "--steps", "0", "--out", o), "--steps must be >= 1, got 0");
        assertBadInput(run("--checkpoint", c, "--steps", "-4", "--out", o), "--steps must be >= 1, got -4");
        assertBadInput(run("--checkpoint", c, "--cfg-interval", "0.5,0.2", "--out", o), "0 <= LO < HI <= 1");
        assertBadInput(run("--checkpoint", c, "--cfg-interval", "0,1.5", "--out", o), "0 <= LO < HI <= 1");
        assertBadInput(run("--checkpoint", c, "--cfg-interval", "0.3", "--out", o), "two numbers");
        assertBadFile(run("--checkpoint", dir.resolve("nope.safetensors").toString(), "--out", o),
                "checkpoint file not found");
        assertBadInput(run("--checkpoint", c, "--cfg-scale", "-2", "--out", o),
                "--cfg-scale must be a number >= 0 (0 = unconditional, 1 = no guidance, above 1 = stronger), got -2.0");
        assertBadInput(run("--checkpoint", c, "--solver", "rk4", "--out", o), "rk4");
        // A checkpoint whose dip_config says hidden 16 but whose tensors come from a hidden-8 model.
        DipConfig other = new DipConfig(8, 4, 1, 8, 1, 2, 3, 4, HeadType.DIP, false);
        Path mismatch = dir.resolve("mismatch.safetensors");
        ModelWeights.save(mismatch, Dip.create(new JavaEngine(1), other, 1).params(), other);
        Files.writeString(dir.resolve("unused"), "");
        Path lying = dir.resolve("lying.safetensors");
        var contents = Safetensors.read(mismatch);
        Safetensors.write(lying, contents.tensors().values(), Map.of(ModelWeights.CONFIG_KEY, dip.io.DipConfigJson.toJson(CFG)));
        assertBadFile(run("--checkpoint", lying.toString(), "--steps", "1", "--out", o, "--engine", "java"),
                "does not match its config");
        assertTrue(!Files.exists(Path.of(o)), "a refused run created " + o);
    }

    @Test
    void theOutputFolderIsCheckedBeforeSampling() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        // --out is a file
        Run r = run("--checkpoint", ckpt.toString(), "--out", file.toString(), "--engine", "java");
        assertBadFile(r, "--out " + file + " is a file, not a folder: pick another --out");
        assertTrue(!r.out().contains("sampling"), "sampled before checking: " + r.out());
        // --out is inside a file
        r = run("--checkpoint", ckpt.toString(), "--out", file.resolve("sub/dir").toString(), "--engine", "java");
        assertBadFile(r, "cannot create --out " + file.resolve("sub/dir") + ": " + file + " is a file, not a folder");
        assertTrue(!r.out().contains("sampling"), "sampled before checking: " + r.out());
    }

    @Test
    void aReadOnlyOutputFolderIsRefusedBeforeSampling() throws IOException {
        Path ro = Files.createDirectories(dir.resolve("read-only"));
        assertTrue(ro.toFile().setWritable(false, false));
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(ro), "running as root: permissions do not bind");
            Run r = run("--checkpoint", ckpt.toString(), "--out", ro.resolve("out").toString(), "--engine", "java");
            assertBadFile(r, "cannot write into --out " + ro.resolve("out") + ": no permission to write in");
            assertTrue(!r.out().contains("sampling"), r.out());
        } finally {
            ro.toFile().setWritable(true, false);
        }
    }

    @Test
    void aRunFolderMeansItsLastCheckpoint() throws IOException {
        Path run = Files.createDirectories(dir.resolve("a-run"));
        Files.copy(ckpt, run.resolve("last.safetensors"));
        Path out = dir.resolve("from-folder");
        Run r = run("--checkpoint", run.toString(), "--class", "dog", "--n-per-class", "2", "--steps", "3",
                "--out", out.toString(), "--engine", "java", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("checkpoint " + run.resolve("last.safetensors")), r.out());
        float[] stored = Safetensors.read(out.resolve("samples.safetensors")).tensor("samples").floats();
        assertArrayEquals(expected(new int[]{1, 1}, noise(0, 0, 2), 3), clamp(stored), 0f);
        Path empty = Files.createDirectories(dir.resolve("empty-run"));
        assertBadFile(run("--checkpoint", empty.toString(), "--out", out.toString()),
                "--checkpoint " + empty + " is a folder without last.safetensors");
    }

    @Test
    void theDefaultIs50Steps() {
        Run r = run("--help");
        assertTrue(r.out().contains("ODE steps (default: 50)"), r.out());
    }

    @Test
    void helpExitsZero() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--cfg-interval"), r.out());
    }

    static void assertBadInput(Run r, String fragment) {
        assertEquals(2, r.code(), "exit code; err: " + r.err());
        String first = r.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("error: ") && first.contains(fragment), "first err line: " + first);
        assertEquals(2, r.err().lines().count(), "error line + usage hint only: " + r.err());
    }

    /** Bad input that is not a flag mistake (a file, a folder): exit 2, one line, no "try --help". */
    static void assertBadFile(Run r, String fragment) {
        assertEquals(2, r.code(), "exit code; err: " + r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(fragment), "err: " + r.err());
    }
}
