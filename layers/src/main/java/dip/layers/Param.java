package dip.layers;

import java.util.Arrays;

/**
 * A named parameter tensor: its value, its gradient (accumulated by backward, zeroed by the trainer) and its
 * shape in PyTorch's order (e.g. a Linear weight is (out, in)). The name is the official state_dict key.
 * Both arrays are allocated on first access: counting the parameters of DiP-XL needs no 5 GB.
 */
public final class Param {
    private final String name;
    private final int[] shape;
    private final int size;
    private float[] data, grad;      // allocated on first use, so a model's shape can be built without its memory

    public Param(String name, int[] shape) {
        this.name = name;
        this.shape = shape.clone();
        int n = 1;
        for (int d : shape) {
            if (d <= 0) throw new IllegalArgumentException("parameter " + name + " has a non-positive dimension: " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        this.size = n;
    }

    public String name() { return name; }

    public int[] shape() { return shape.clone(); }

    public float[] data() {
        if (data == null) data = new float[size];
        return data;
    }

    public float[] grad() {
        if (grad == null) grad = new float[size];
        return grad;
    }

    public int size() { return size; }

    public void zeroGrad() {
        if (grad != null) Arrays.fill(grad, 0f);
    }

    @Override
    public String toString() { return name + Arrays.toString(shape); }
}
