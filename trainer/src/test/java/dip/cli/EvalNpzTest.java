package dip.cli;

import dip.io.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dip eval fd --samples X.npz` without Fashion-MNIST: the npz is read and checked before anything else. */
class EvalNpzTest {
    @TempDir Path dir;

    static void badFile(EvalCommandTest.Run r, String fragment) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(fragment), r.err());
    }

    @Test
    void malformedOrRgbNpzIsOneLineExitTwoAndAGoodOneReachesTheClassifier() throws IOException {
        Path text = Files.writeString(dir.resolve("bad.npz"), "hello");
        badFile(EvalCommandTest.run("fd", "--samples", text.toString()), text + ": not a zip archive");
        Path rgb = dir.resolve("rgb.npz");
        try (var w = new Npz.Writer(rgb, 2, 4, 4, 3)) {
            w.append(new float[2 * 3 * 16], 2);
            w.finish(new int[]{0, 1});
        }
        badFile(EvalCommandTest.run("fd", "--samples", rgb.toString()), "grayscale (C = 1) images only");
        Path gray = dir.resolve("gray.npz");
        try (var w = new Npz.Writer(gray, 2, 32, 32, 1)) {
            w.append(new float[2 * 1024], 2);
            w.finish(new int[]{0, 1});
        }
        var r = EvalCommandTest.run("fd", "--samples", gray.toString(), "--cache", dir.resolve("empty").toString());
        badFile(r, "no classifier for 32 px images");
    }
}
