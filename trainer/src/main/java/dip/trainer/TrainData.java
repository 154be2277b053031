package dip.trainer;

import java.util.List;

/**
 * What the training loop needs of a labelled image set: random access to images in [−1, 1] as (C, H, W) and their
 * labels in [0, numClasses). The CLI adapts the dip.data readers to this; tests use a few synthetic images.
 */
public interface TrainData {

    int size();

    int channels();

    /** H = W. */
    int imageSize();

    int numClasses();

    /** Writes image {@code index} (C·H·W floats, [−1, 1]) to dst[off..] and returns its label. */
    int read(int index, float[] dst, int off);

    /** Human-readable class names (numClasses of them), for the sample grid's row labels. */
    default List<String> classNames() {
        String[] names = new String[numClasses()];
        for (int k = 0; k < names.length; k++) names[k] = "class " + k;
        return List.of(names);
    }

    /** For messages: "Fashion-MNIST train (60000 images) at /path". */
    String describe();
}
