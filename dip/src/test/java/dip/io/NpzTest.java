package dip.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ADM-layout npz: header bytes as numpy writes them, a streamed round trip, and every malformed file refused. */
class NpzTest {
    @TempDir Path dir;

    /** numpy's header: magic, v1.0, u16 length, the dict, spaces to a multiple of 64, newline. */
    static String numpy(String dict, int spaces) {
        return "\u0093NUMPY\u0001\u0000v\u0000" + dict + " ".repeat(spaces) + "\n";
    }

    @Test
    void headerIsByteForByteWhatNumpyWrites() {
        // printed by numpy 1.24: np.lib.format._write_array_header(f, {'descr': ..., 'fortran_order': False, 'shape': ...}, (1, 0))
        assertEquals(numpy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 4, 4, 3), }", 52),
                new String(Npz.npyHeader("|u1", 2, 4, 4, 3), StandardCharsets.ISO_8859_1));
        assertEquals(numpy("{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", 60),
                new String(Npz.npyHeader("<i8", 5), StandardCharsets.ISO_8859_1));
        assertEquals(numpy("{'descr': '|u1', 'fortran_order': False, 'shape': (50000, 256, 256, 3), }", 44),
                new String(Npz.npyHeader("|u1", 50000, 256, 256, 3), StandardCharsets.ISO_8859_1));
    }

    @Test
    void streamedImagesReadBackAsUint8Hwc() throws IOException {
        Path f = dir.resolve("s.npz");
        int C = 3, S = 2, per = C * S * S;
        float[] x = new float[3 * per];
        for (int i = 0; i < x.length; i++) x[i] = -1.2f + 2.4f * i / (x.length - 1);   // some outside [-1, 1]
        try (var w = new Npz.Writer(f, 3, S, S, C)) {
            w.append(java.util.Arrays.copyOfRange(x, 0, 2 * per), 2);
            assertTrue(Files.exists(dir.resolve("s.npz.partial")) && !Files.exists(f), "written aside until finish");
            w.append(java.util.Arrays.copyOfRange(x, 2 * per, 3 * per), 1);
            w.finish(new int[]{4, 0, 999});
        }
        var im = Npz.readImages(f);
        assertEquals(3, im.N());
        assertArrayEquals(new int[]{4, 0, 999}, im.labels());
        for (int b = 0; b < 3; b++) {
            for (int c = 0; c < C; c++) {
                for (int p = 0; p < S * S; p++) {
                    float v = x[b * per + c * S * S + p];
                    int want = (int) Math.max(0f, Math.min(255f, (v + 1f) * 127.5f + 0.5f));
                    assertEquals(want, im.pixels()[(b * S * S + p) * C + c] & 0xFF, "image " + b + " c " + c + " p " + p);
                }
            }
        }
    }

    @Test
    void anUnfinishedWriterLeavesNothing() throws IOException {
        Path f = dir.resolve("gone.npz");
        try (var w = new Npz.Writer(f, 4, 2, 2, 1)) {
            w.append(new float[4], 1);
        }
        assertFalse(Files.exists(f) || Files.exists(dir.resolve("gone.npz.partial")));
    }

    /** An npz with one entry arr_0.npy: header (descr, shape) and data bytes. */
    Path npz(String name, String entry, String descr, long[] shape, int dataBytes) throws IOException {
        Path f = dir.resolve(name);
        try (var z = new ZipOutputStream(Files.newOutputStream(f))) {
            z.putNextEntry(new ZipEntry(entry));
            z.write(Npz.npyHeader(descr, shape));
            z.write(new byte[dataBytes]);
            z.closeEntry();
        }
        return f;
    }

    static void refused(Path f, String fragment) {
        var e = assertThrows(SafetensorsException.class, () -> Npz.readImages(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(fragment), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void malformedFilesAreOneLineNamingFileAndProblem() throws IOException {
        refused(npz("f32.npz", "arr_0.npy", "<f4", new long[]{1, 2, 2, 1}, 16), "dtype '<f4', need uint8");
        refused(npz("rank3.npz", "arr_0.npy", "|u1", new long[]{2, 2, 2}, 8), "shape [2, 2, 2], need (N, H, W, C)");
        refused(npz("c4.npz", "arr_0.npy", "|u1", new long[]{1, 2, 2, 4}, 16), "C = 1 or 3");
        refused(npz("short.npz", "arr_0.npy", "|u1", new long[]{2, 2, 2, 1}, 3), "truncated: 3 of 8 bytes");
        refused(npz("other.npz", "images.npy", "|u1", new long[]{1, 2, 2, 1}, 4), "no arr_0");
        Path text = Files.writeString(dir.resolve("text.npz"), "not a zip at all");
        refused(text, "not a zip archive");
        Path magic = dir.resolve("magic.npz");
        try (var z = new ZipOutputStream(Files.newOutputStream(magic))) {
            z.putNextEntry(new ZipEntry("arr_0.npy"));
            z.write("PK-not-numpy-at-all".getBytes(StandardCharsets.US_ASCII));
        }
        refused(magic, "does not start with the .npy magic");
        refused(dir.resolve("missing.npz"), "file not found");
    }
}
