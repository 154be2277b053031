package dip.io;

import java.util.Arrays;

/**
 * One named tensor as held in memory: {@code data} is a {@code float[]} for F32/F16/BF16, an {@code int[]} for I32
 * and a {@code long[]} for I64, row-major in the order of {@code shape} (PyTorch's). The array is referenced, not
 * copied, so a writer can save a Param's data without a second copy. Checked on construction. Like any record
 * holding arrays, equals() compares the arrays by identity: compare {@code floats()} etc. with Arrays.equals.
 */
public record Tensor(String name, DType dtype, int[] shape, Object data) {

    public Tensor {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor name must be non-empty");
        if (name.equals(Safetensors.METADATA_KEY)) throw new IllegalArgumentException("tensor name " + name + " is reserved");
        shape = shape.clone();
        long n = numel(name, shape);
        int len = switch (dtype) {
            case F32, F16, BF16 -> data instanceof float[] f ? f.length : -1;
            case I32 -> data instanceof int[] i ? i.length : -1;
            case I64 -> data instanceof long[] l ? l.length : -1;
        };
        if (len < 0) {
            throw new IllegalArgumentException("tensor " + name + ": dtype " + dtype + " needs a "
                    + (dtype.isFloat() ? "float[]" : dtype == DType.I32 ? "int[]" : "long[]") + ", got "
                    + (data == null ? "null" : data.getClass().getSimpleName()));
        }
        if (len != n) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " has " + n
                    + " elements but the data has " + len);
        }
    }

    public static Tensor f32(String name, int[] shape, float[] data) { return new Tensor(name, DType.F32, shape, data); }

    public static Tensor i32(String name, int[] shape, int[] data) { return new Tensor(name, DType.I32, shape, data); }

    public static Tensor i64(String name, int[] shape, long[] data) { return new Tensor(name, DType.I64, shape, data); }

    /** The shape (a copy). */
    @Override
    public int[] shape() { return shape.clone(); }

    /** Number of elements: the product of the shape (1 for a scalar, shape []). */
    public int numel() { return (int) numel(name, shape); }

    /** The float data (F32, F16, BF16 tensors). */
    public float[] floats() {
        if (!dtype.isFloat()) throw new IllegalStateException("tensor " + name + " is " + dtype + ", not a float tensor");
        return (float[]) data;
    }

    /** The int data (I32 tensors). */
    public int[] ints() {
        if (dtype != DType.I32) throw new IllegalStateException("tensor " + name + " is " + dtype + ", not I32");
        return (int[]) data;
    }

    /** The long data (I64 tensors). */
    public long[] longs() {
        if (dtype != DType.I64) throw new IllegalStateException("tensor " + name + " is " + dtype + ", not I64");
        return (long[]) data;
    }

    static long numel(String name, int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor " + name + " has a negative dimension: " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tensor " + name + " " + Arrays.toString(shape) + " is too large for one Java array");
            }
        }
        return n;
    }

    @Override
    public String toString() { return name + " " + dtype + Arrays.toString(shape); }
}
