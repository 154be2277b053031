package dip.trainer;

import dip.data.Cifar10;
import dip.data.Dataset;
import dip.data.FashionMnist;
import dip.data.ImageFolder;
import dip.data.Split;

import java.io.IOException;
import java.nio.file.Path;

/** Opens the data sets of `train --data`: the dip.data readers, train split, with the CLI's checks on size and channels. */
public final class DataSources {
    private DataSources() {
    }

    public static Dataset open(DataKind kind, Path dir, int imageSize, int channels) throws IOException {
        return switch (kind) {
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
    }
}
