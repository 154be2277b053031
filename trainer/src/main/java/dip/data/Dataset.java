package dip.data;

import dip.model.DipConfig;

import java.io.IOException;
import java.util.List;

/**
 * A labelled image dataset for training: {@code size()} images of {@code channels() × imageSize() × imageSize()},
 * read one at a time as CHW floats in [−1, 1] (pixel / 127.5 − 1, as ADM and the official DiP code).
 * Implementations may be called from the {@link Loader}'s background thread; {@code read} must then be safe to call
 * from a thread other than the constructing one (it is never called by two threads at once).
 */
public interface Dataset {
    /** Number of images. */
    int size();

    /** Number of classes; labels are 0 .. numClasses() − 1. */
    int numClasses();

    /** Human-readable class names, index = label. */
    List<String> classNames();

    /** C: 1 grayscale, 3 RGB. */
    int channels();

    /** H = W of every image returned. */
    int imageSize();

    /** Values per image: C·H·W. */
    default int imageFloats() { return channels() * imageSize() * imageSize(); }

    /** Writes image {@code index} into dst[offset .. offset + imageFloats()) as CHW in [−1, 1]; returns its label. */
    int read(int index, float[] dst, int offset) throws IOException;

    /**
     * A dataset of the model's shape (size images, its classes named "c") that is never read: for code that feeds
     * the training steps itself ({@code TrainLoop.step}), such as benchmarks and device tests.
     */
    static Dataset unread(DipConfig cfg, int size) {
        return new Dataset() {
            public int size() { return size; }
            public int numClasses() { return cfg.numClasses(); }
            public List<String> classNames() { return java.util.Collections.nCopies(cfg.numClasses(), "c"); }
            public int channels() { return cfg.channels(); }
            public int imageSize() { return cfg.imageSize(); }
            public int read(int index, float[] dst, int offset) {
                throw new IllegalStateException("this dataset only describes a shape: nothing reads it");
            }
        };
    }

    /** Maps a byte pixel 0..255 to [−1, 1]. */
    static float toUnit(int pixel) {
        return pixel / 127.5f - 1f;
    }
}
