package dip.io;

import java.util.Arrays;

/**
 * One header entry of a safetensors file: where a tensor's bytes lie, as offsets into the data section that
 * follows the header ({@code [begin, end)}), already checked against its dtype and shape.
 */
public record TensorInfo(String name, DType dtype, int[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public int[] shape() { return shape.clone(); }

    /** Number of elements. */
    public int numel() { return (int) Tensor.numel(name, shape); }

    /** Shape as PyTorch prints it, e.g. [3456, 1152]. */
    public String shapeString() { return Arrays.toString(shape); }

    @Override
    public String toString() { return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")"; }
}
