package dip.cli;

import dip.data.FashionMnist;
import dip.data.Split;
import dip.io.Safetensors;
import dip.io.Tensor;
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
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** `dip eval` on real Fashion-MNIST with a quickly trained, very small classifier (skipped without the dataset). */
class EvalCommandTest {
    @TempDir static Path dir;
    static Path cache;

    record Run(int code, String out, String err) { }

    static Run run(String... args) {
        CommandLine cl = DipCommand.commandLine();         // the real `dip` command line: its exit codes too
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] full = new String[args.length + 1];
        full[0] = "eval";
        System.arraycopy(args, 0, full, 1, args.length);
        return new Run(cl.execute(full), out.toString(), err.toString());
    }

    @BeforeAll
    static void trainTinyClassifier() {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed");
        cache = dir.resolve("cache");
        Run r = run("train-classifier", "--cache", cache.toString(), "--limit", "2048", "--test-limit", "500",
                "--epochs", "1", "--lr", "3e-3", "--width", "4", "--features", "16", "--batch", "32", "--engine", "java", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(number(r.out(), "test accuracy ([0-9.]+)%") > 60, r.out());   // 10 classes; chance is 10%
        assertTrue(Files.isRegularFile(cache.resolve("fashion-mnist-cnn-32px.safetensors")));
    }

    /** Writes n images as dip sample would: 'samples' (n, 1, 32, 32), 'labels' (n). */
    static Path samples(String name, float[] x, int[] y) throws IOException {
        Path f = dir.resolve(name);
        Safetensors.write(f, List.of(Tensor.f32("samples", new int[]{y.length, 1, 32, 32}, x),
                Tensor.i32("labels", new int[]{y.length}, y)), Map.of());
        return f;
    }

    static double number(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        assertTrue(m.find(), "no '" + regex + "' in: " + out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void realImagesScoreFarBetterThanNoise() throws IOException {
        var test = new FashionMnist(null, Split.TEST, 32);
        int n = 120, per = 32 * 32;
        float[] real = new float[n * per];
        int[] y = new int[n];
        for (int i = 0, k = 0; k < n; i++) {                   // the last test images of Trouser (1) and Bag (8)
            int label = test.read(test.size() - 1 - i, real, k * per);
            if (label == 1 || label == 8) y[k++] = label;
        }
        float[] noise = new float[n * per];
        new Rng(1).fillUniform(noise, noise.length, -1f, 1f);
        String[] common = {"--cache", cache.toString(), "--engine", "java", "--threads", "1"};
        Run good = run(concat(new String[]{"fd", "--samples", samples("real.safetensors", real, y).toString()}, common));
        Run bad = run(concat(new String[]{"fd", "--samples", samples("noise.safetensors", noise, y).toString()}, common));
        assertEquals(0, good.code(), good.err());
        assertEquals(0, bad.code(), bad.err());
        String fd = "classifier Fréchet distance ([0-9.]+)";
        double fdReal = number(good.out(), fd), fdNoise = number(bad.out(), fd);
        assertTrue(fdReal < 0.2 * fdNoise, "FD real " + fdReal + " vs noise " + fdNoise);
        assertTrue(number(good.out(), "class agreement ([0-9.]+)%") > 80, good.out());
        assertTrue(good.out().contains("reference: classifier Fréchet distance of 120 real"), good.out());
        assertTrue(!good.out().contains("FID"), good.out());
        // the same images as an ADM-layout npz (uint8: the distance moves a little, no more)
        Path npz = dir.resolve("real.npz");
        try (var w = new dip.io.Npz.Writer(npz, n, 32, 32, 1)) {
            w.append(real, n);
            w.finish(y);
        }
        Run fromNpz = run(concat(new String[]{"fd", "--samples", npz.toString()}, common));
        assertEquals(0, fromNpz.code(), fromNpz.err());
        assertEquals(fdReal, number(fromNpz.out(), fd), 0.05 * fdReal + 1e-3, fromNpz.out());
        assertTrue(number(fromNpz.out(), "class agreement ([0-9.]+)%") > 80, fromNpz.out());
    }

    @Test
    void badInputsExitTwo() throws IOException {
        assertEquals(2, run("fd", "--samples", dir.resolve("missing.safetensors").toString()).code());
        Path rgb = dir.resolve("rgb.safetensors");
        Safetensors.write(rgb, List.of(Tensor.f32("samples", new int[]{2, 3, 32, 32}, new float[2 * 3 * 1024]),
                Tensor.i32("labels", new int[]{2}, new int[]{0, 1})), Map.of());
        Run r = run("fd", "--samples", rgb.toString(), "--cache", cache.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("RGB"), r.err());
        Run none = run("fd", "--samples", samples("few.safetensors", new float[2 * 1024], new int[]{0, 1}).toString(),
                "--cache", dir.resolve("empty").toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("train-classifier"), none.err());
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
