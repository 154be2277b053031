package dip.cli;

import dip.io.ModelWeights;
import dip.io.Npz;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.io.TorchCheckpoint;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.sampler.EulerSampler;
import dip.sampler.Guidance;
import dip.sampler.PngText;
import dip.sampler.Sampler;
import dip.tornado.exec.JavaEngine;
import dip.cli.SampleCommandTest.Run;
import dip.sampler.CheckpointModel;
import dip.util.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dip.cli.SampleCommandTest.assertBadFile;
import static dip.cli.SampleCommandTest.assertBadInput;
import static dip.cli.SampleCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What `dip sample` and `dip convert` share with the field: PyTorch checkpoints (the committed fixtures of
 * scripts/reference/make_torch_ckpt_fixtures.py: image 32, P = 16, D = 8, depth 2, 4 classes), per-image seeds,
 * the settings in each PNG and --from-png, the ADM .npz, noise files with labels. SampleCommandTest's checkpoint is
 * the tiny safetensors model.
 */
class SampleInteropTest {
    static final Path GOLDEN = Path.of("..", "dip", "src", "test", "resources", "golden");
    @TempDir Path dir;

    static float[] samples(Path out) throws IOException {
        return Safetensors.read(out.resolve("samples.safetensors")).tensor("samples").floats();
    }

    static Path ckpt;

    /** The tiny safetensors model of SampleCommandTest (EMA and live weights, class names cat, dog, T-shirt/top). */
    @BeforeAll
    static void writeCheckpoint(@TempDir Path shared) throws IOException {
        var ema = Dip.create(new JavaEngine(1), SampleCommandTest.CFG, 8).initialize(new Rng(1));
        var online = Dip.create(new JavaEngine(1), SampleCommandTest.CFG, 8).initialize(new Rng(2));
        ckpt = shared.resolve("ckpt.safetensors");
        ModelWeights.save(ckpt, Map.of(ModelWeights.EMA_PREFIX, ema.params(), ModelWeights.DENOISER_PREFIX, online.params()),
                SampleCommandTest.CFG, Map.of(CheckpointModel.CLASS_NAMES_KEY, SampleCommandTest.NAMES));
    }

    static Run sample(String... a) { return run(a); }

    // ---------------------------------------------------------------- torch checkpoints

    @Test
    void samplesFromALightningCkptAsTheJavaApiDoes() throws IOException {
        Path ck = GOLDEN.resolve("torch_tiny_fp32.ckpt");
        Path out = dir.resolve("torch");
        var r = sample("--checkpoint", ck.toString(), "--image-size", "32", "--class", "1,3", "--n-per-class", "1",
                "--steps", "3", "--out", out.toString(), "--engine", "java", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(EMA weights)"), r.out());
        // the same with the Java API: EMA weights, config inferred at 32 px, per-image noise (0, 0), (0, 1)
        var w = TorchCheckpoint.load(ck, TorchCheckpoint.Weights.EMA);
        DipConfig cfg = TorchCheckpoint.config(ck, w, null, 32);
        Dip m = Dip.create(new JavaEngine(1), cfg, 4);
        TorchCheckpoint.loadInto(ck, w, m.params());
        int per = 3 * 32 * 32;
        float[] noise = new float[2 * per];
        for (int b = 0; b < 2; b++) {
            float[] one = new dip.util.Rng(new dip.util.Rng(b).nextLong()).normal(per);
            System.arraycopy(one, 0, noise, b * per, per);
        }
        float[] want = new EulerSampler(m, 3, Guidance.paper()).sample(noise.clone(), new int[]{1, 3}, 2);
        assertArrayEquals(want, SampleCommandTest.clamp(samples(out)), 0f, "dip sample vs the Java API");
        // live weights are another model; bf16 weights are the fp32 ones rounded: close, not equal
        Path live = dir.resolve("live");
        assertEquals(0, sample("--checkpoint", ck.toString(), "--image-size", "32", "--class", "1,3", "--n-per-class", "1",
                "--steps", "3", "--out", live.toString(), "--engine", "java", "--weights", "live").code());
        assertFalse(Arrays.equals(samples(out), samples(live)), "--weights live gave the EMA samples");
        Path bf16 = dir.resolve("bf16");
        var rb = sample("--checkpoint", GOLDEN.resolve("torch_tiny_bf16.ckpt").toString(), "--image-size", "32",
                "--class", "1,3", "--n-per-class", "1", "--steps", "3", "--out", bf16.toString(), "--engine", "java");
        assertEquals(0, rb.code(), rb.err());
    }

    @Test
    void aTorchCheckpointNeedsItsImageSizeAndAWrongShapeNamesTheTensor() {
        Path ck = GOLDEN.resolve("torch_tiny_fp32.ckpt");
        String o = dir.resolve("never").toString();
        assertBadFile(run("--checkpoint", ck.toString(), "--out", o, "--engine", "java"),
                "the image size is not stored in a torch checkpoint");
        assertBadFile(run("--checkpoint", ck.toString(), "--image-size", "32", "--hidden", "16", "--out", o, "--engine", "java"),
                "has shape [8, 768] but the model expects [16, 768]");
        assertBadFile(run("--checkpoint", GOLDEN.resolve("torch_tiny_plain.pt").toString(), "--image-size", "32",
                "--preset", "XL16", "--out", o, "--engine", "java"), "but the model expects");
        assertFalse(Files.exists(Path.of(o)), "a refused run wrote " + o);
    }

    @Test
    void liveWeightsThatAreNotThereAreRefused() throws IOException {
        var ema = Dip.create(new JavaEngine(1), SampleCommandTest.CFG, 1).initialize(new Rng(1));
        Path onlyEma = dir.resolve("only-ema.safetensors");
        ModelWeights.save(onlyEma, ema.params(), SampleCommandTest.CFG, ModelWeights.EMA_PREFIX, Map.of());
        String o = dir.resolve("never").toString();
        assertBadFile(run("--checkpoint", onlyEma.toString(), "--weights", "live", "--out", o, "--engine", "java"),
                "no live weights (no tensor name starts with 'denoiser.'), only EMA ones: use --weights ema");
        assertFalse(Files.exists(Path.of(o)));
    }

    @Test
    void convertWritesTheProjectsSafetensorsThatSamplesTheSame() throws IOException {
        Path ck = GOLDEN.resolve("torch_tiny_fp32.ckpt"), st = dir.resolve("tiny.safetensors");
        var c = DipCommand.commandLine();
        var sw = new java.io.StringWriter();
        c.setOut(new java.io.PrintWriter(sw, true));
        c.setErr(new java.io.PrintWriter(new java.io.StringWriter(), true));
        assertEquals(0, c.execute("convert", ck.toString(), st.toString(), "--image-size", "32"));
        assertTrue(sw.toString().contains("\"imageSize\":32"), sw.toString());
        assertEquals(32, ModelWeights.readConfig(st).imageSize());
        Path a = dir.resolve("a"), b = dir.resolve("b");
        String[] common = {"--class", "2", "--n-per-class", "2", "--steps", "2", "--engine", "java"};
        assertEquals(0, sample(concat(new String[]{"--checkpoint", ck.toString(), "--image-size", "32", "--out", a.toString()}, common)).code());
        assertEquals(0, sample(concat(new String[]{"--checkpoint", st.toString(), "--out", b.toString()}, common)).code());
        assertArrayEquals(samples(a), samples(b), 0f, "converted file samples as the .ckpt");
        // bad input: one line, exit 2, nothing written
        Path bad = dir.resolve("x.bin");
        var err = new java.io.StringWriter();
        c.setErr(new java.io.PrintWriter(err, true));
        assertEquals(2, c.execute("convert", ck.toString(), bad.toString(), "--image-size", "32"));
        assertTrue(err.toString().contains("must end in .safetensors"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, c.execute("convert", st.toString(), dir.resolve("y.safetensors").toString()));
        assertTrue(err.toString().contains("not a torch.save zip"), err.toString());
        assertFalse(Files.exists(bad) || Files.exists(dir.resolve("y.safetensors")));
    }

    static String[] concat(String[] a, String[] b) {
        String[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    // ---------------------------------------------------------------- per-image seeds, labels in noise files

    @Test
    void imageIIsTheSameImageAloneInAnyBatch() throws IOException {
        Path all = dir.resolve("all"), alone = dir.resolve("alone"), small = dir.resolve("small");
        assertEquals(0, sample("--checkpoint", ckpt.toString(), "--class", "dog", "--n-per-class", "5", "--steps", "3",
                "--out", all.toString(), "--engine", "java", "--seed", "7").code());
        var r = sample("--checkpoint", ckpt.toString(), "--class", "dog", "--n-per-class", "1", "--first-index", "3",
                "--steps", "3", "--out", alone.toString(), "--engine", "java", "--seed", "7");
        assertEquals(0, r.code(), r.err());
        float[] a = samples(all), one = samples(alone);
        assertArrayEquals(Arrays.copyOfRange(a, 3 * 64, 4 * 64), one, 0f, "image 3 alone vs in the batch of 5");
        // the same run cut into batches of one guided pair
        assertEquals(0, sample("--checkpoint", ckpt.toString(), "--class", "dog", "--n-per-class", "5", "--steps", "3",
                "--out", small.toString(), "--engine", "java", "--seed", "7", "--batch", "2", "--no-grid").code());
        assertArrayEquals(a, samples(small), 0f, "--batch 2");
    }

    @Test
    void aNoiseFileWithLabelsReplaysASamplesFile() throws IOException {
        Path first = dir.resolve("first"), again = dir.resolve("again");
        assertEquals(0, sample("--checkpoint", ckpt.toString(), "--class", "cat,dog", "--n-per-class", "2", "--steps", "2",
                "--out", first.toString(), "--engine", "java").code());
        Path st = first.resolve("samples.safetensors");
        var r = sample("--checkpoint", ckpt.toString(), "--noise", st.toString(), "--steps", "2", "--out", again.toString(),
                "--engine", "java");
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Safetensors.read(st).tensor("labels").ints(),
                Safetensors.read(again.resolve("samples.safetensors")).tensor("labels").ints());
        assertArrayEquals(samples(first), samples(again), 0f);
        assertBadInput(run("--checkpoint", ckpt.toString(), "--noise", st.toString(), "--class", "cat", "--out",
                dir.resolve("x").toString()), "carries its labels: drop --class and --n-per-class");
        Path badLabels = dir.resolve("bad-labels.safetensors");
        Safetensors.write(badLabels, List.of(Tensor.f32("noise", new int[]{1, 1, 8, 8}, new float[64]),
                Tensor.i32("labels", new int[]{1}, new int[]{9})), Map.of());
        assertBadFile(run("--checkpoint", ckpt.toString(), "--noise", badLabels.toString(), "--out", dir.resolve("x").toString()),
                "label 9 of image 0 is not a class of this model");
    }

    // ---------------------------------------------------------------- PNG settings and --from-png

    @Test
    void fromPngMakesTheSameFileByteForByte() throws IOException {
        Path out = dir.resolve("png");
        assertEquals(0, sample("--checkpoint", ckpt.toString(), "--class", "cat,dog", "--n-per-class", "3", "--steps", "4",
                "--solver", "ab2", "--timeshift", "2.5", "--cfg-scale", "3.5", "--seed", "11", "--individual",
                "--out", out.toString(), "--engine", "java").code());
        Path png = out.resolve("images/dog_004.png");
        String text = PngText.read(png, "dip");
        for (String f : new String[]{"\"class\":1", "\"seed\":11", "\"index\":4", "\"solver\":\"ab2\"", "\"steps\":4",
                "\"cfg_scale\":\"3.5\"", "\"cfg_interval\":\"0.11,0.97\"", "\"timeshift\":\"2.5\"", "\"checkpoint_sha256\":\""}) {
            assertTrue(text.contains(f), f + " missing from " + text);
        }
        assertEquals(javax.imageio.ImageIO.read(png.toFile()).getWidth(), 8, "still a PNG every reader reads");
        Path again = dir.resolve("png-again");
        var r = sample("--from-png", png.toString(), "--checkpoint", ckpt.toString(), "--out", again.toString(), "--engine", "java");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("byte for byte"), r.out());
        assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(again.resolve("images/dog_004.png")));
        assertEquals(1, Files.list(again.resolve("images")).count(), "only the image asked for");
        // a run cut into chunks of 2 images (--batch 4): the replay remakes image 1's chunk {0, 1}
        Path chunked = dir.resolve("png-chunked"), again2 = dir.resolve("png-chunked-again");
        assertEquals(0, sample("--checkpoint", ckpt.toString(), "--class", "cat", "--n-per-class", "3", "--steps", "2",
                "--batch", "4", "--individual", "--out", chunked.toString(), "--engine", "java").code());
        Path png1 = chunked.resolve("images/cat_001.png");
        assertTrue(PngText.read(png1, "dip").contains("\"chunk_first\":0,\"chunk_labels\":[0,0]"), PngText.read(png1, "dip"));
        var r2 = sample("--from-png", png1.toString(), "--out", again2.toString(), "--engine", "java");   // path from the PNG
        assertEquals(0, r2.code(), r2.err());
        assertArrayEquals(Files.readAllBytes(png1), Files.readAllBytes(again2.resolve("images/cat_001.png")));
        // another checkpoint: refused, naming both hashes
        Path other = dir.resolve("other.safetensors");
        Files.copy(ckpt, other);
        Files.write(other, new byte[]{0}, java.nio.file.StandardOpenOption.APPEND);
        assertBadFile(run("--from-png", png.toString(), "--checkpoint", other.toString(), "--out", again.toString()),
                "was made with a checkpoint of SHA-256");
        assertBadFile(run("--from-png", ckpt.toString(), "--checkpoint", ckpt.toString(), "--out", again.toString()),
                "not a PNG file");
        // a PNG made from a --noise file has no settings to replay
        Path noiseRun = dir.resolve("png-noise");
        assertEquals(0, sample("--checkpoint", ckpt.toString(), "--noise", out.resolve("samples.safetensors").toString(),
                "--steps", "1", "--individual", "--out", noiseRun.toString(), "--engine", "java").code());
        Path plain = Files.list(noiseRun.resolve("images")).findFirst().orElseThrow();
        assertBadFile(run("--from-png", plain.toString(), "--checkpoint", ckpt.toString(), "--out", again.toString()),
                "has no 'dip' text chunk");
    }

    // ---------------------------------------------------------------- ADM npz

    @Test
    void npzHoldsTheUint8ImagesAndLabelsInTheAdmLayout() throws IOException {
        Path ref = dir.resolve("ref"), out = dir.resolve("npz-run"), npz = dir.resolve("s/samples.npz");
        assertEquals(0, sample("--checkpoint", ckpt.toString(), "--n-per-class", "3", "--steps", "2", "--out", ref.toString(),
                "--engine", "java").code());
        var r = sample("--checkpoint", ckpt.toString(), "--n-per-class", "3", "--steps", "2", "--out", out.toString(),
                "--npz", npz.toString(), "--batch", "4", "--engine", "java");
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(out.resolve("samples.safetensors")), "--npz keeps no in-memory outputs");
        Npz.Images im = Npz.readImages(npz);
        assertEquals(List.of(9, 8, 8, 1), List.of(im.N(), im.H(), im.W(), im.C()));
        float[] x = samples(ref);
        for (int i = 0; i < x.length; i++) assertEquals(Sampler.toUint8(x[i]), im.pixels()[i] & 0xFF, "pixel " + i);
        assertArrayEquals(new int[]{0, 0, 0, 1, 1, 1, 2, 2, 2}, im.labels());
        assertFalse(Files.exists(dir.resolve("s/samples.npz.partial")));
        assertBadInput(run("--checkpoint", ckpt.toString(), "--npz", dir.resolve("a.zip").toString(), "--out", out.toString()),
                "must end in .npz");
        assertBadInput(run("--checkpoint", ckpt.toString(), "--npz", npz.toString(), "--trajectory", "--out", out.toString()),
                "drop it with --npz");
        assertBadInput(run("--checkpoint", ckpt.toString(), "--timeshift", "0", "--out", out.toString()),
                "--timeshift must be a number > 0 (1 = no shift), got 0.0");
        assertBadInput(run("--checkpoint", ckpt.toString(), "--first-index", "-1", "--out", out.toString()),
                "--first-index must be >= 0, got -1");
        assertBadInput(run("--out", out.toString()), "--checkpoint is required");
    }
}
