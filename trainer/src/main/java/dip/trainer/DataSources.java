package dip.trainer;

import dip.data.Cifar10;
import dip.data.Dataset;
import dip.data.FashionMnist;
import dip.data.ImageFolder;
import dip.data.Split;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** Opens the data sets of `train --data` (the dip.data readers, train split) as TrainData. */
final class DataSources {
    private DataSources() {
    }

    static TrainData open(DataKind kind, Path dir, int imageSize, int channels) throws IOException {
        Dataset ds = switch (kind) {
            case FASHION_MNIST -> {
                if (channels != 1) throw new IllegalArgumentException("Fashion-MNIST is grayscale: --channels must be 1, got " + channels);
                yield new FashionMnist(dir, Split.TRAIN, imageSize);
            }
            case CIFAR10 -> {
                if (imageSize != 32) throw new IllegalArgumentException("CIFAR-10 images are 32×32: use --image-size 32, got " + imageSize);
                yield new Cifar10(dir, Split.TRAIN, channels);
            }
            case FOLDER -> new ImageFolder(dir, imageSize, channels);
        };
        return adapt(ds, kind.word() + " train (" + ds.size() + " images) at " + dir);
    }

    /** A dip.data Dataset as TrainData; a read error mid-run becomes an UncheckedIOException naming the image. */
    static TrainData adapt(Dataset ds, String description) {
        return new TrainData() {
            @Override public int size() { return ds.size(); }
            @Override public int channels() { return ds.channels(); }
            @Override public int imageSize() { return ds.imageSize(); }
            @Override public int numClasses() { return ds.numClasses(); }
            @Override public List<String> classNames() { return ds.classNames(); }
            @Override public String describe() { return description; }

            @Override
            public int read(int index, float[] dst, int off) {
                try {
                    return ds.read(index, dst, off);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read image " + index + " of " + description + ": " + e.getMessage(), e);
                }
            }
        };
    }
}
