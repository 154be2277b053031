package dip.trainer;

import dip.data.Dataset;
import dip.util.Rng;

import java.util.ArrayList;
import java.util.List;

/** n synthetic C×S×S images in [−1, 1] with labels i mod classes: enough data for a few toy epochs. */
public final class ToyData implements Dataset {
    private final float[][] images;
    private final int C, S, classes;

    public ToyData(int n, int C, int S, int classes, long seed) {
        this.C = C; this.S = S; this.classes = classes;
        Rng r = new Rng(seed);
        images = new float[n][];
        for (int i = 0; i < n; i++) {
            images[i] = new float[C * S * S];
            r.fillUniform(images[i], images[i].length, -1f, 1f);
        }
    }

    @Override public int size() { return images.length; }
    @Override public int channels() { return C; }
    @Override public int imageSize() { return S; }
    @Override public int numClasses() { return classes; }

    @Override
    public int read(int index, float[] dst, int off) {
        System.arraycopy(images[index], 0, dst, off, images[index].length);
        return index % classes;
    }

    @Override public List<String> classNames() {
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classes; k++) names.add("class " + k);
        return names;
    }

    String describe() { return "toy data (" + images.length + " images)"; }
}
