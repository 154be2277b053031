package dip.data;

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

    /** Maps a byte pixel 0..255 to [−1, 1]. */
    static float toUnit(int pixel) {
        return pixel / 127.5f - 1f;
    }
}
