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

    /** An npz whose arr_0.npy has this descr and shape tuple and dataBytes zero bytes. */
    Path npy(String name, String descr, String shape, int dataBytes) throws IOException {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int len = ((10 + dict.length() + 1 + 63) / 64) * 64 - 10;
        byte[] h = new byte[10 + len];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) len, (byte) (len >> 8)};
        System.arraycopy(magic, 0, h, 0, 10);
        java.util.Arrays.fill(h, 10, h.length - 1, (byte) ' ');
        System.arraycopy(dict.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, h, 10, dict.length());
        h[h.length - 1] = '\n';
        Path f = dir.resolve(name);
        try (var z = new java.util.zip.ZipOutputStream(Files.newOutputStream(f))) {
            z.putNextEntry(new java.util.zip.ZipEntry("arr_0.npy"));
            z.write(h);
            z.write(new byte[dataBytes]);
        }
        return f;
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
        badFile(EvalCommandTest.run("fd", "--samples", npy("f32.npz", "<f4", "(2, 32, 32, 1)", 8192).toString()),
                "f32.npz: arr_0 has dtype '<f4', need uint8");
        badFile(EvalCommandTest.run("fd", "--samples", npy("flat.npz", "|u1", "(2, 1024)", 2048).toString()),
                "flat.npz: arr_0 has shape [2, 1024], need (N, H, W, C)");
        badFile(EvalCommandTest.run("fd", "--samples", npy("short.npz", "|u1", "(2, 32, 32, 1)", 100).toString()),
                "short.npz: arr_0 is truncated");
        Path gray = dir.resolve("gray.npz");
        try (var w = new Npz.Writer(gray, 2, 32, 32, 1)) {
            w.append(new float[2 * 1024], 2);
            w.finish(new int[]{0, 1});
        }
        var r = EvalCommandTest.run("fd", "--samples", gray.toString(), "--cache", dir.resolve("empty").toString());
        badFile(r, "no classifier for 32 px images");
    }
}
