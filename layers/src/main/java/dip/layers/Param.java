package dip.layers;

import java.util.Arrays;

/**
 * A named parameter tensor: a slice [offset, offset + size) of two flat arrays of its registry, the values
 * ({@link #array()}) and the gradients ({@link #gradArray()}), with its shape in PyTorch's order (e.g. a Linear
 * weight is (out, in)). The name is the official state_dict key. Kernels get the flat array and the offset (as
 * llm.c passes pointers into one block), so the optimiser, the gradient norm and a device's copies handle the
 * parameters of a model as a few arrays. Which pair of arrays ({@link #bank()}: weights or biases) is the registry's
 * choice; see {@link ParamRegistry}.
 * <p>
 * Values written before the registry has laid out its arrays (a layer's constructor setting an RMSNorm weight to
 * ones) wait in a small array of their own and move in when it does; see {@link ParamRegistry}.
 */
public final class Param {
    private final ParamRegistry owner;
    private final String name;
    private final int[] shape;
    private final int bank, size, offset;
    private float[] early;          // values set before the registry's arrays exist; null after

    Param(ParamRegistry owner, String name, int[] shape, int bank, int size, int offset) {
        this.owner = owner;
        this.bank = bank;
        this.name = name;
        this.shape = shape.clone();
        this.size = size;
        this.offset = offset;
    }

    /** The number of scalars of a tensor of this shape; rejects non-positive dimensions. */
    static int sizeOf(String name, int[] shape) {
        int n = 1;
        for (int d : shape) {
            if (d <= 0) throw new IllegalArgumentException("parameter " + name + " has a non-positive dimension: " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public String name() { return name; }

    public int[] shape() { return shape.clone(); }

    public int size() { return size; }

    /** Where this parameter starts in {@link #array()} and {@link #gradArray()}. */
    public int offset() { return offset; }

    /** Which of the registry's arrays hold this parameter: {@link ParamRegistry#WEIGHTS} or {@link ParamRegistry#BIASES}. */
    public int bank() { return bank; }

    /** The registry's flat value array that holds this parameter, at [offset, offset + size). */
    public float[] array() { return owner.data(bank); }

    /** The registry's flat gradient array that holds this parameter's gradient, at [offset, offset + size). */
    public float[] gradArray() { return owner.grad(bank); }

    /** Value i of this parameter (row-major in its shape). */
    public float get(int i) {
        check(i);
        if (owner.laidOut()) return array()[offset + i];
        return early == null ? 0f : early[i];
    }

    public void set(int i, float v) {
        check(i);
        if (owner.laidOut()) array()[offset + i] = v;
        else earlyValues()[i] = v;
    }

    /** Gradient i of this parameter. */
    public float gradAt(int i) {
        check(i);
        return gradArray()[offset + i];
    }

    /** A copy of the values. */
    public float[] values() {
        if (!owner.laidOut()) return early == null ? new float[size] : early.clone();
        return slice(array());
    }

    /** A copy of the gradient. */
    public float[] gradValues() { return slice(gradArray()); }

    /** A copy of this parameter's part of an array laid out as its {@link #array()} (an optimiser moment, the EMA). */
    public float[] slice(float[] flat) { return Arrays.copyOfRange(flat, offset, offset + size); }

    /** Sets every value from src (exactly size() of them). */
    public void load(float[] src) {
        if (src.length != size) {
            throw new IllegalArgumentException("parameter " + name + " holds " + size + " values, given " + src.length);
        }
        if (owner.laidOut()) System.arraycopy(src, 0, array(), offset, size);
        else System.arraycopy(src, 0, earlyValues(), 0, size);
    }

    /** Sets every value to v. */
    public void fill(float v) {
        if (owner.laidOut()) Arrays.fill(array(), offset, offset + size, v);
        else Arrays.fill(earlyValues(), v);
    }

    /** Moves early values into the registry's new arrays (called once, by the registry). */
    void moveInto(float[][] data) {
        if (early != null) System.arraycopy(early, 0, data[bank], offset, size);
        early = null;
    }

    private float[] earlyValues() {
        if (early == null) early = new float[size];
        return early;
    }

    private void check(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("parameter " + name + " has " + size + " values, index " + i);
    }

    @Override
    public String toString() { return name + Arrays.toString(shape); }
}
