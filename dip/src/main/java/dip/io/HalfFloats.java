package dip.io;

/**
 * 16-bit float conversions, bit-exact and without JDK 20's Float.float16ToFloat (the sources compile on 17).
 * F16 is IEEE binary16 (1 sign, 5 exponent, 10 mantissa bits); BF16 is the top half of a binary32.
 * Float to 16 bits rounds to nearest, ties to even, as PyTorch's .half() and .bfloat16() do; NaN stays NaN.
 */
public final class HalfFloats {
    private HalfFloats() {}

    /** BF16 bits to float: exact (BF16 is a float with the low 16 mantissa bits dropped). */
    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    /** Float to BF16 bits, round to nearest even; a NaN becomes a quiet NaN of the same sign. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        int lsb = (bits >>> 16) & 1;                           // ties go to the even neighbour
        return (short) ((bits + 0x7FFF + lsb) >>> 16);        // may carry into the exponent: rounds up to inf
    }

    /** F16 bits to float: exact, subnormals, infinities and NaN included. */
    public static float f16ToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int man = bits & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (man << 13));   // inf or NaN
        if (exp == 0) {                                        // zero or subnormal: man · 2^-24, exact in float
            float v = man * 0x1.0p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (man << 13));
    }

    /** Float to F16 bits, round to nearest even; overflow gives ±inf, underflow ±0 or a subnormal. */
    public static short floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int man = bits & 0x7FFFFF;
        if (exp == 0xFF) return (short) (sign | 0x7C00 | (man != 0 ? 0x200 | (man >>> 13) : 0));
        int e = exp - 127 + 15;                                // re-biased exponent
        if (e >= 0x1F) return (short) (sign | 0x7C00);         // too large: inf
        if (e <= 0) {                                          // subnormal or zero in F16
            if (e < -10) return (short) sign;                  // below half the smallest subnormal: ±0
            int m = man | 0x800000;                            // implicit leading 1
            int shift = 14 - e;                                // 24-bit significand down to the 10-bit field
            int half = 1 << (shift - 1);
            int r = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            if (rest > half || (rest == half && (r & 1) == 1)) r++;
            return (short) (sign | r);                         // r may reach 0x400: the smallest normal, correct
        }
        int r = (e << 10) | (man >>> 13);
        int rest = man & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (r & 1) == 1)) r++;   // may carry to exp 0x1F: inf, correct
        return (short) (sign | r);
    }
}
