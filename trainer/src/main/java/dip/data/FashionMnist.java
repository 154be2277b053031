package dip.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST (Zalando, github.com/zalandoresearch/fashion-mnist) from its idx files: 28×28 grayscale, 10
 * classes, 60000 train / 10000 test images. Debian's {@code dataset-fashion-mnist} installs them, gzipped, in
 * {@link #DEFAULT_DIR}; uncompressed copies are read too. All pixels are kept as bytes (47 MB for the train split).
 * With {@code imageSize} 32 the 28×28 image sits in the centre of a black (−1) 32×32 frame, as the small presets need.
 */
public final class FashionMnist implements Dataset {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final List<String> CLASS_NAMES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    static final int IMAGE_MAGIC = 0x00000803, LABEL_MAGIC = 0x00000801, SIDE = 28;

    private final byte[] pixels;      // (n, 28, 28)
    private final byte[] labels;      // (n)
    private final int n, size, pad;

    /**
     * Reads {@code split} from {@code dir} ({@link #DEFAULT_DIR} when null). {@code imageSize} is 28 (as stored) or
     * 32 (padded by 2 on each side).
     */
    public FashionMnist(Path dir, Split split, int imageSize) throws IOException {
        if (imageSize != SIDE && imageSize != 32) {
            throw new IllegalArgumentException("Fashion-MNIST image size must be 28 or 32 (padded), got " + imageSize);
        }
        Path d = dir == null ? DEFAULT_DIR : dir;
        String stem = split == Split.TRAIN ? "train" : "t10k";
        Path imgFile = find(d, stem + "-images-idx3-ubyte");
        Path lblFile = find(d, stem + "-labels-idx1-ubyte");
        this.size = imageSize;
        this.pad = (imageSize - SIDE) / 2;
        this.labels = readIdx(lblFile, LABEL_MAGIC, 1);
        this.pixels = readIdx(imgFile, IMAGE_MAGIC, 3);
        this.n = labels.length;
        if (pixels.length != (long) n * SIDE * SIDE) {
            throw new DatasetException(imgFile + ": holds " + pixels.length / (SIDE * SIDE) + " images but " + lblFile
                    + " holds " + n + " labels");
        }
        for (int i = 0; i < n; i++) {
            if ((labels[i] & 0xFF) >= CLASS_NAMES.size()) {
                throw new DatasetException(lblFile + ": label " + (labels[i] & 0xFF) + " at index " + i + " is not a class 0..9");
            }
        }
    }

    /** The gzipped file, else the plain one; missing both is a one-line error saying how to get the data. */
    private static Path find(Path dir, String name) throws DatasetException {
        Path gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) return gz;
        Path plain = dir.resolve(name);
        if (Files.isRegularFile(plain)) return plain;
        throw new DatasetException("Fashion-MNIST file " + gz + " not found (install it with `apt-get install "
                + "dataset-fashion-mnist`, or pass --data DIR holding " + name + ".gz)");
    }

    /** Reads an idx file: magic (big-endian), {@code dims} sizes, then bytes. Image dims must be 28×28. */
    private static byte[] readIdx(Path file, int magic, int dims) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
             DataInputStream data = new DataInputStream(in)) {
            int m = data.readInt();
            if (m != magic) {
                throw new DatasetException(file + ": magic number 0x" + Integer.toHexString(m) + ", expected 0x"
                        + Integer.toHexString(magic) + " (not an idx" + dims + " file of unsigned bytes)");
            }
            int count = data.readInt();
            long total = count;
            if (dims == 3) {
                int rows = data.readInt(), cols = data.readInt();
                if (rows != SIDE || cols != SIDE) throw new DatasetException(file + ": images are " + rows + "×" + cols + ", expected 28×28");
                total *= SIDE * SIDE;
            }
            if (count < 0 || total > Integer.MAX_VALUE - 8) throw new DatasetException(file + ": bad image count " + count);
            byte[] out = new byte[(int) total];
            try {
                data.readFully(out);
            } catch (EOFException e) {
                throw new DatasetException(file + ": truncated: the header promises " + count + (dims == 3 ? " images" : " labels"));
            }
            if (data.read() != -1) throw new DatasetException(file + ": has bytes after the " + count + " items its header declares");
            return out;
        } catch (java.util.zip.ZipException e) {
            throw new DatasetException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
        }
    }

    @Override public int size() { return n; }

    @Override public int numClasses() { return CLASS_NAMES.size(); }

    @Override public List<String> classNames() { return CLASS_NAMES; }

    @Override public int channels() { return 1; }

    @Override public int imageSize() { return size; }

    @Override
    public int read(int index, float[] dst, int offset) {
        if (index < 0 || index >= n) throw new IndexOutOfBoundsException("image " + index + " of " + n);
        if (pad > 0) java.util.Arrays.fill(dst, offset, offset + size * size, -1f);   // black frame
        int src = index * SIDE * SIDE;
        for (int y = 0; y < SIDE; y++) {
            int row = offset + (y + pad) * size + pad;                                 // seek to dst[0, y + pad, pad]
            for (int x = 0; x < SIDE; x++) dst[row + x] = Dataset.toUnit(pixels[src + y * SIDE + x] & 0xFF);
        }
        return labels[index] & 0xFF;
    }
}
