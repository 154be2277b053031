package dip.io;

/**
 * The safetensors element types this project reads. Float kinds are read into {@code float[]} (F16 and BF16 are
 * widened exactly), I32 into {@code int[]}, I64 into {@code long[]}. Names are the format's own spellings.
 */
public enum DType {
    F32(4), F16(2), BF16(2), I32(4), I64(8);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Bytes per element. */
    public int bytes() { return bytes; }

    /** True for F32, F16 and BF16: held as {@code float[]} in memory. */
    public boolean isFloat() { return this == F32 || this == F16 || this == BF16; }

    /** The dtype spelled {@code s} in a header, or null when this reader does not support it. */
    public static DType parse(String s) {
        for (DType d : values()) if (d.name().equals(s)) return d;
        return null;
    }
}
