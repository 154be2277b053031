package dip.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FashionMnistTest {
    @TempDir Path dir;

    /** Writes idx files for n images where pixel (y, x) of image i is (i + y + x) % 256 and label i % 10. */
    static void writeIdx(Path dir, String stem, int n, int imageMagic, int rows) throws IOException {
        try (var out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(dir.resolve(stem + "-images-idx3-ubyte.gz"))))) {
            out.writeInt(imageMagic); out.writeInt(n); out.writeInt(rows); out.writeInt(28);
            for (int i = 0; i < n; i++) for (int y = 0; y < rows; y++) for (int x = 0; x < 28; x++) out.writeByte((i + y + x) % 256);
        }
        try (var out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(dir.resolve(stem + "-labels-idx1-ubyte.gz"))))) {
            out.writeInt(FashionMnist.LABEL_MAGIC); out.writeInt(n);
            for (int i = 0; i < n; i++) out.writeByte(i % 10);
        }
    }

    @Test void readsATinyIdxFileUnpaddedAndPadded() throws IOException {
        writeIdx(dir, "train", 3, FashionMnist.IMAGE_MAGIC, 28);
        var ds = new FashionMnist(dir, Split.TRAIN, 28);
        assertEquals(3, ds.size());
        assertEquals(10, ds.numClasses());
        assertEquals("Ankle boot", ds.classNames().get(9));
        float[] x = new float[28 * 28];
        assertEquals(2, ds.read(2, x, 0));
        assertEquals((2 + 5 + 7) / 127.5f - 1f, x[5 * 28 + 7], 1e-7f);

        var padded = new FashionMnist(dir, Split.TRAIN, 32);
        assertEquals(32, padded.imageSize());
        float[] p = new float[1 + 32 * 32];
        assertEquals(1, padded.read(1, p, 1));                   // at an offset
        assertEquals(-1f, p[1], 0f);                              // the frame is black
        assertEquals(-1f, p[1 + 31 * 32 + 31], 0f);
        assertEquals((1 + 0 + 0) / 127.5f - 1f, p[1 + 2 * 32 + 2], 1e-7f);   // image pixel (0, 0) sits at (2, 2)
        assertEquals((1 + 27 + 27) / 127.5f - 1f, p[1 + 29 * 32 + 29], 1e-7f);
    }

    @Test void missingFilesSayHowToGetTheData() {
        var e = assertThrows(DatasetException.class, () -> new FashionMnist(dir, Split.TEST, 32));
        String m = e.getMessage();
        assertTrue(m.contains(dir.resolve("t10k-images-idx3-ubyte.gz").toString()), m);
        assertTrue(m.contains("apt-get install dataset-fashion-mnist") && m.contains("--data DIR"), m);
        assertFalse(m.contains("\n"));
    }

    @Test void badMagicCountsAndTruncationAreReported() throws IOException {
        writeIdx(dir, "train", 2, 0x803 + 1, 28);
        assertTrue(assertThrows(DatasetException.class, () -> new FashionMnist(dir, Split.TRAIN, 28))
                .getMessage().contains("magic number 0x804, expected 0x803"));
        writeIdx(dir, "train", 2, FashionMnist.IMAGE_MAGIC, 27);
        assertTrue(assertThrows(DatasetException.class, () -> new FashionMnist(dir, Split.TRAIN, 28))
                .getMessage().contains("images are 27×28, expected 28×28"));

        writeIdx(dir, "train", 2, FashionMnist.IMAGE_MAGIC, 28);
        Path img = dir.resolve("train-images-idx3-ubyte.gz");
        byte[] raw;
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(img))) { raw = in.readAllBytes(); }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(img))) { out.write(raw, 0, raw.length - 10); }
        var e = assertThrows(DatasetException.class, () -> new FashionMnist(dir, Split.TRAIN, 28));
        assertTrue(e.getMessage().contains("truncated: the header promises 2 images"), e.getMessage());

        try (var out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(dir.resolve("train-labels-idx1-ubyte.gz"))))) {
            out.writeInt(FashionMnist.LABEL_MAGIC); out.writeInt(3); out.write(new byte[]{0, 1, 2});
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(img))) { out.write(raw); }
        e = assertThrows(DatasetException.class, () -> new FashionMnist(dir, Split.TRAIN, 28));
        assertTrue(e.getMessage().contains("holds 2 images but") && e.getMessage().contains("holds 3 labels"), e.getMessage());

        assertThrows(IllegalArgumentException.class, () -> new FashionMnist(dir, Split.TRAIN, 30));
    }

    @Test void readsTheRealTestSetWhenInstalled() throws IOException {
        assumeTrue(Files.isRegularFile(FashionMnist.DEFAULT_DIR.resolve("t10k-images-idx3-ubyte.gz")),
                "Fashion-MNIST not installed in " + FashionMnist.DEFAULT_DIR);
        var ds = new FashionMnist(null, Split.TEST, 32);
        assertEquals(10000, ds.size());
        int[] counts = new int[10];
        float[] x = new float[32 * 32];
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (int i = 0; i < ds.size(); i++) {
            counts[ds.read(i, x, 0)]++;
            for (float v : x) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        }
        for (int c = 0; c < 10; c++) assertEquals(1000, counts[c], "class " + c);
        assertEquals(-1f, lo, 0f);
        assertEquals(1f, hi, 0f);
    }
}
