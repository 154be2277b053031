package dip.data;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Images in the ImageNet / torchvision ImageFolder layout: {@code root/<class>/**.jpg}, one subfolder per class,
 * classes numbered in sorted order of their folder names, files sorted within a class. JPEG, PNG, BMP and GIF are
 * decoded with javax.imageio, converted to RGB or luma by the requested channel count, and centre-cropped as ADM
 * ({@link CenterCrop}). The file list is made up front; images are decoded only when read.
 * A file that cannot be decoded is skipped with a warning and counted in {@link #skipped()}: its index then yields
 * the next readable image (wrapping around), and it is not tried again.
 */
public final class ImageFolder implements Dataset {
    private static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif");

    private final Path root;
    private final int size, channels;
    private final List<String> classNames;
    private final String[] files;     // (n) paths relative to root
    private final int[] labels;       // (n)
    private final BitSet bad = new BitSet();
    private final Consumer<String> warn;

    /** Lists {@code root}; warnings about unreadable files go to System.err. */
    public ImageFolder(Path root, int imageSize, int channels) throws IOException {
        this(root, imageSize, channels, msg -> System.err.println("warning: " + msg));
    }

    public ImageFolder(Path root, int imageSize, int channels, Consumer<String> warn) throws IOException {
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        if (imageSize <= 0) throw new IllegalArgumentException("image size must be positive, got " + imageSize);
        if (!Files.isDirectory(root)) throw new DatasetException("image folder " + root + " does not exist or is not a directory");
        this.root = root; this.size = imageSize; this.channels = channels; this.warn = warn;
        List<String> classes = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).sorted().forEach(classes::add);
        }
        if (classes.isEmpty()) {
            throw new DatasetException("image folder " + root + " has no class subfolders (expected root/<class>/<image>.jpg)");
        }
        List<String> paths = new ArrayList<>();
        List<Integer> lbl = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            Path dir = root.resolve(classes.get(c));
            List<String> inClass;
            try (Stream<Path> s = Files.walk(dir)) {
                inClass = s.filter(Files::isRegularFile).filter(ImageFolder::isImage)
                        .map(p -> root.relativize(p).toString()).sorted().toList();
            } catch (UncheckedIOException e) {
                throw new DatasetException("cannot list " + dir + ": " + e.getCause().getMessage(), e.getCause());
            }
            for (String p : inClass) { paths.add(p); lbl.add(c); }
        }
        if (paths.isEmpty()) throw new DatasetException("image folder " + root + " has no images (" + String.join(", ", EXTENSIONS) + ")");
        this.classNames = List.copyOf(classes);
        this.files = paths.toArray(new String[0]);
        this.labels = lbl.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.startsWith(".")) return false;
        for (String e : EXTENSIONS) if (n.endsWith(e)) return true;
        return false;
    }

    @Override public int size() { return files.length; }

    @Override public int numClasses() { return classNames.size(); }

    @Override public List<String> classNames() { return classNames; }

    @Override public int channels() { return channels; }

    @Override public int imageSize() { return size; }

    /** Files that could not be decoded so far. */
    public synchronized int skipped() { return bad.cardinality(); }

    /** Path of image {@code index} (relative paths are resolved against the root). */
    public Path file(int index) { return root.resolve(files[index]); }

    @Override
    public int read(int index, float[] dst, int offset) throws IOException {
        if (index < 0 || index >= files.length) throw new IndexOutOfBoundsException("image " + index + " of " + files.length);
        for (int tries = 0; tries < files.length; tries++) {
            int i = (index + tries) % files.length;
            if (isBad(i)) continue;
            int[] px = decode(i);
            if (px == null) continue;
            for (int k = 0; k < px.length; k++) dst[offset + k] = Dataset.toUnit(px[k]);
            return labels[i];
        }
        throw new DatasetException("image folder " + root + ": none of its " + files.length + " files could be decoded");
    }

    /** The centre-cropped (C, size, size) pixels of file i, or null after marking it bad. */
    private int[] decode(int i) {
        Path f = file(i);
        try {
            BufferedImage img = ImageIO.read(f.toFile());
            if (img == null) return markBad(i, f + ": not a readable image (no decoder for its format)");
            int[] planes = Pixels.planes(img, channels);
            return CenterCrop.apply(planes, channels, img.getHeight(), img.getWidth(), size);
        } catch (IOException | RuntimeException e) {         // ImageIO throws both kinds on corrupt data
            return markBad(i, f + ": skipped, cannot decode it (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    private synchronized boolean isBad(int i) { return bad.get(i); }

    private int[] markBad(int i, String msg) {
        synchronized (this) { bad.set(i); }
        warn.accept(msg.replaceAll("\\s*\\R\\s*", " "));
        return null;
    }
}
