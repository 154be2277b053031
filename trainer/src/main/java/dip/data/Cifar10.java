package dip.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 from its binary batches (www.cs.toronto.edu/~kriz/cifar.html, "CIFAR-10 binary version"): records of
 * 3073 bytes, a label 0..9 then 1024 red, 1024 green, 1024 blue bytes of a 32×32 image (already CHW).
 * TRAIN reads data_batch_1.bin … data_batch_5.bin (those present, at least one), TEST reads test_batch.bin.
 * {@code dir} may be the folder holding them or the one above it ({@code cifar-10-batches-bin/}). Class names come
 * from batches.meta.txt when present. All records are kept as bytes (154 MB for the train split).
 * With channels = 1 the image is converted to luminance (ITU-R 601, as PIL's convert("L")).
 */
public final class Cifar10 implements Dataset {
    public static final List<String> DEFAULT_CLASS_NAMES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
    static final int SIDE = 32, PLANE = SIDE * SIDE, RECORD = 1 + 3 * PLANE;
    private static final String HOW_TO_GET = "download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html"
            + " and extract it, then pass --data DIR";

    private final byte[] records;     // (n, 3073)
    private final int n, channels;
    private final List<String> classNames;

    public Cifar10(Path dir, Split split, int channels) throws IOException {
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("CIFAR-10 channels must be 1 or 3, got " + channels);
        this.channels = channels;
        Path d = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
        List<Path> files = new ArrayList<>();
        if (split == Split.TRAIN) {
            for (int i = 1; i <= 5; i++) {
                Path f = d.resolve("data_batch_" + i + ".bin");
                if (Files.isRegularFile(f)) files.add(f);
            }
            if (files.isEmpty()) throw new DatasetException("CIFAR-10: no " + d.resolve("data_batch_1.bin") + " (" + HOW_TO_GET + ")");
        } else {
            Path f = d.resolve("test_batch.bin");
            if (!Files.isRegularFile(f)) throw new DatasetException("CIFAR-10: no " + f + " (" + HOW_TO_GET + ")");
            files.add(f);
        }
        long total = 0;
        for (Path f : files) {
            long len = Files.size(f);
            if (len == 0 || len % RECORD != 0) {
                throw new DatasetException(f + ": " + len + " bytes is not a whole number of 3073-byte CIFAR-10 records (truncated?)");
            }
            total += len;
        }
        if (total > Integer.MAX_VALUE - 8) throw new DatasetException("CIFAR-10 in " + d + " is too large: " + total + " bytes");
        records = new byte[(int) total];
        int pos = 0;
        for (Path f : files) {
            byte[] b = Files.readAllBytes(f);
            System.arraycopy(b, 0, records, pos, b.length);
            pos += b.length;
        }
        n = records.length / RECORD;
        classNames = readClassNames(d.resolve("batches.meta.txt"));
        for (int i = 0; i < n; i++) {
            int label = records[i * RECORD] & 0xFF;
            if (label >= classNames.size()) throw new DatasetException("CIFAR-10 in " + d + ": record " + i + " has label " + label
                    + ", but there are " + classNames.size() + " classes");
        }
    }

    private static List<String> readClassNames(Path meta) throws IOException {
        if (!Files.isRegularFile(meta)) return DEFAULT_CLASS_NAMES;
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(meta, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) names.add(line.trim());
        }
        if (names.isEmpty()) throw new DatasetException(meta + ": no class names in it");
        return List.copyOf(names);
    }

    @Override public int size() { return n; }

    @Override public int numClasses() { return classNames.size(); }

    @Override public List<String> classNames() { return classNames; }

    @Override public int channels() { return channels; }

    @Override public int imageSize() { return SIDE; }

    @Override
    public int read(int index, float[] dst, int offset) {
        if (index < 0 || index >= n) throw new IndexOutOfBoundsException("image " + index + " of " + n);
        int rec = index * RECORD;
        if (channels == 3) {
            for (int i = 0; i < 3 * PLANE; i++) dst[offset + i] = Dataset.toUnit(records[rec + 1 + i] & 0xFF);
        } else {
            for (int i = 0; i < PLANE; i++) {
                int r = records[rec + 1 + i] & 0xFF, g = records[rec + 1 + PLANE + i] & 0xFF, b = records[rec + 1 + 2 * PLANE + i] & 0xFF;
                dst[offset + i] = Dataset.toUnit(Pixels.luma(r, g, b));
            }
        }
        return records[rec] & 0xFF;
    }
}
