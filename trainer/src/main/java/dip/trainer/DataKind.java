package dip.trainer;

import java.nio.file.Path;
import java.util.Locale;

/** The data sets `train --data` knows, with where they are looked for by default and how to get them. */
public enum DataKind {
    FASHION_MNIST("fashion-mnist", "/usr/share/datasets/fashion-mnist",
            "install Debian's dataset-fashion-mnist package, or download train-images-idx3-ubyte.gz and "
                    + "train-labels-idx1-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist (data/fashion) into it"),
    CIFAR10("cifar10", "data/cifar-10-batches-bin",
            "download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz and unpack it there "
                    + "(data_batch_1.bin .. data_batch_5.bin)"),
    FOLDER("folder", null, "give --data-dir a folder with one sub-folder of images per class");

    private final String word, defaultDir, howToGet;

    DataKind(String word, String defaultDir, String howToGet) {
        this.word = word;
        this.defaultDir = defaultDir;
        this.howToGet = howToGet;
    }

    /** The CLI word: fashion-mnist, cifar10, folder. */
    public String word() { return word; }

    /** Where it is read from without --data-dir (null: --data-dir is required). */
    public Path defaultDir() { return defaultDir == null ? null : Path.of(defaultDir); }

    /** Channels when --channels is not given: 1 for Fashion-MNIST, 3 (RGB) for the others. */
    public int defaultChannels() { return this == FASHION_MNIST ? 1 : 3; }

    /** One clause telling the user how to get the data. */
    public String howToGet() { return howToGet; }

    public static DataKind parse(String s) {
        String w = s.trim().toLowerCase(Locale.ROOT);
        for (DataKind k : values()) if (k.word.equals(w) || k.name().equalsIgnoreCase(w)) return k;
        throw new IllegalArgumentException("unknown data set '" + s + "': expected fashion-mnist, cifar10 or folder");
    }

    @Override
    public String toString() { return word; }
}
