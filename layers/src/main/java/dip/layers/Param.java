package dip.layers;

import java.util.Arrays;

/**
 * A named parameter tensor: its value, its gradient (accumulated by backward, zeroed by the trainer) and its
 * shape in PyTorch's order (e.g. a Linear weight is (out, in)). The name is the official state_dict key.
 */
public final class Param {
    private final String name;
    private final int[] shape;
    private final float[] data;
    private final float[] grad;

    public Param(String name, int[] shape) {
        this.name = name;
        this.shape = shape.clone();
        int n = 1;
        for (int d : shape) {
            if (d <= 0) throw new IllegalArgumentException("parameter " + name + " has a non-positive dimension: " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        this.data = new float[n];
        this.grad = new float[n];
    }

    public String name() { return name; }

    public int[] shape() { return shape.clone(); }

    public float[] data() { return data; }

    public float[] grad() { return grad; }

    public int size() { return data.length; }

    public void zeroGrad() { Arrays.fill(grad, 0f); }

    @Override
    public String toString() { return name + Arrays.toString(shape); }
}
