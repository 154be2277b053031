package dip.util;

import java.util.Arrays;

/**
 * Parameters as the model's flat parameter array holds them: one inside a larger array, at an offset, with other
 * floats around it. Tests put weights at {@link #W_OFF} and biases at {@link #B_OFF} inside NaN padding (a kernel that
 * forgets the offset reads a NaN), and weight gradients inside a finite sentinel (a kernel that forgets the offset
 * changes one that {@link #assertOutsideUntouched} finds, or misses its own elements).
 */
public final class Arena {
    private Arena() {
    }

    /** Offsets the tests use: nonzero, and different from each other. */
    public static final int W_OFF = 3, B_OFF = 7;
    /** Floats after the parameter. */
    public static final int TAIL = 5;
    /** What a gradient array holds outside its parameter. */
    public static final float SENTINEL = -1234.5f;

    /** A copy of a at off inside off + a.length + TAIL floats, NaN around it. */
    public static float[] at(int off, float[] a) {
        return at(off, a, Float.NaN);
    }

    /** A copy of a at off inside off + a.length + TAIL floats, fill around it. */
    public static float[] at(int off, float[] a, float fill) {
        float[] p = new float[off + a.length + TAIL];
        Arrays.fill(p, fill);
        System.arraycopy(a, 0, p, off, a.length);
        return p;
    }

    /** A gradient of n zeros at off, {@link #SENTINEL} around it. */
    public static float[] zerosAt(int off, int n) {
        return at(off, new float[n], SENTINEL);
    }

    /** a[off, off + n) as its own array. */
    public static float[] slice(float[] a, int off, int n) {
        return Arrays.copyOfRange(a, off, off + n);
    }

    /** Every element of a outside [off, off + n) still holds fill, bit for bit (NaN included). */
    public static void assertOutsideUntouched(String what, float[] a, int off, int n, float fill) {
        int want = Float.floatToRawIntBits(fill);
        for (int i = 0; i < a.length; i++) {
            if (i >= off && i < off + n) continue;
            if (Float.floatToRawIntBits(a[i]) != want) {
                throw new AssertionError(what + "[" + i + "] outside [" + off + ", " + (off + n) + ") was changed: "
                        + a[i] + " (want " + fill + ")");
            }
        }
    }

    /** {@link #assertOutsideUntouched} for a gradient made by {@link #zerosAt} or {@code at(off, a, SENTINEL)}. */
    public static void assertOutsideUntouched(String what, float[] a, int off, int n) {
        assertOutsideUntouched(what, a, off, n, SENTINEL);
    }
}
