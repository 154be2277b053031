package dip.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class Cifar10Test {
    @TempDir Path dir;

    /** Two records: labels 3 and 7; red = 10 + i, green = 20 + i, blue = 30 + i at every pixel of record i. */
    private void write(Path file) throws IOException {
        byte[] b = new byte[2 * Cifar10.RECORD];
        for (int i = 0; i < 2; i++) {
            int rec = i * Cifar10.RECORD;
            b[rec] = (byte) (i == 0 ? 3 : 7);
            for (int c = 0; c < 3; c++) java.util.Arrays.fill(b, rec + 1 + c * 1024, rec + 1 + (c + 1) * 1024, (byte) (10 * (c + 1) + i));
        }
        b[Cifar10.RECORD + 1 + 1024 + 33] = (byte) 255;        // record 1, green, pixel (1, 1)
        Files.write(file, b);
    }

    @Test void readsTwoSyntheticRecords() throws IOException {
        write(dir.resolve("data_batch_1.bin"));
        var ds = new Cifar10(dir, Split.TRAIN, 3);
        assertEquals(2, ds.size());
        assertEquals(32, ds.imageSize());
        assertEquals(Cifar10.DEFAULT_CLASS_NAMES, ds.classNames());
        float[] x = new float[3 * 1024];
        assertEquals(3, ds.read(0, x, 0));
        assertEquals(10 / 127.5f - 1, x[0], 1e-7f);
        assertEquals(30 / 127.5f - 1, x[2 * 1024 + 1023], 1e-7f);
        assertEquals(7, ds.read(1, x, 0));
        assertEquals(1f, x[1024 + 33], 0f);
        assertEquals(21 / 127.5f - 1, x[1024 + 34], 1e-7f);

        var gray = new Cifar10(dir, Split.TRAIN, 1);
        float[] g = new float[1024];
        gray.read(1, g, 0);
        assertEquals(Pixels.luma(11, 21, 31) / 127.5f - 1, g[0], 1e-7f);
    }

    @Test void classNamesFromMetaAndErrors() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("cifar-10-batches-bin"));
        write(sub.resolve("test_batch.bin"));
        Files.writeString(sub.resolve("batches.meta.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
        var ds = new Cifar10(dir, Split.TEST, 3);             // the parent folder works too
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), ds.classNames());

        var e = assertThrows(DatasetException.class, () -> new Cifar10(dir, Split.TRAIN, 3));
        assertTrue(e.getMessage().contains("data_batch_1.bin") && e.getMessage().contains("cifar-10-binary.tar.gz"), e.getMessage());
        Files.write(sub.resolve("data_batch_1.bin"), new byte[3073 + 5]);
        e = assertThrows(DatasetException.class, () -> new Cifar10(dir, Split.TRAIN, 3));
        assertTrue(e.getMessage().contains("3078 bytes is not a whole number of 3073-byte"), e.getMessage());
    }
}
