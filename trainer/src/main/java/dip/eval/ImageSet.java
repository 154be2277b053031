package dip.eval;

import java.io.IOException;

/**
 * Labelled images for the evaluation classifier, read one at a time as CHW floats in [−1, 1] (the same contract as
 * the trainer's {@code dip.data.Dataset}, which lives in a module above this one; adapt it with {@link #of}).
 */
public interface ImageSet {
    int size();

    int channels();

    int imageSize();

    /** Writes image i into dst[off .. off + C·S·S) and returns its label. */
    int read(int i, float[] dst, int off) throws IOException;

    /** Images (n, C, S, S) and labels (n) held in memory. */
    static ImageSet of(float[] images, int[] labels, int C, int S) {
        int per = C * S * S;
        if (images.length < labels.length * per) {
            throw new IllegalArgumentException("images hold " + images.length + " values, " + labels.length + " labels need "
                    + labels.length * per);
        }
        return new ImageSet() {
            @Override public int size() { return labels.length; }

            @Override public int channels() { return C; }

            @Override public int imageSize() { return S; }

            @Override public int read(int i, float[] dst, int off) {
                System.arraycopy(images, i * per, dst, off, per);
                return labels[i];
            }
        };
    }

    /** The first n images of a set. */
    static ImageSet first(ImageSet set, int n) {
        int m = Math.min(n, set.size());
        return new ImageSet() {
            @Override public int size() { return m; }

            @Override public int channels() { return set.channels(); }

            @Override public int imageSize() { return set.imageSize(); }

            @Override public int read(int i, float[] dst, int off) throws IOException {
                if (i >= m) throw new IndexOutOfBoundsException("image " + i + " of " + m);
                return set.read(i, dst, off);
            }
        };
    }
}
