package dip.test.badkernels;

import dip.tornado.Parallel;

/**
 * Deliberately broken "kernels" for KernelBytecodeTest's negative test: each method breaks one rule, named in
 * its name. Never called. Not in dip.tornado.kernels. (The class-level "no @Parallel in the class" rule is tested
 * on a real kernel class with its annotations stripped.)
 */
@SuppressWarnings("unused")
public final class BadKernels {
    private BadKernels() {
    }

    static int counter;                                         // mutable static state
    static final float[] TABLE = {1f, 2f};                      // object static (an array)

    public static int returnsInt(float[] x) { return x.length; }

    public static void objectParam(float[] out, Object o) { out[0] = 1f; }

    public static void twoDimArray(float[][] out) { out[0][0] = 1f; }

    public static void allocates(float[] out, int n) {
        float[] tmp = new float[n];
        out[0] = tmp[0];
    }

    public static void throwsException(float[] out, int n) {
        if (n < 0) throw new IllegalArgumentException("n");
        out[0] = n;
    }

    public static void locks(float[] out) {
        synchronized (out) { out[0] = 1f; }
    }

    public static void lambda(float[] out) {
        Runnable r = () -> out[0] = 1f;
        out[1] = 2f;
    }

    public static void stringConcat(float[] out, int n) {
        String s = "n=" + n;
        out[0] = n;
    }

    public static void instanceCall(float[] out) {
        float[] c = out.clone();
        out[0] = c[0];
    }

    public static void foreignStatic(float[] out, float v) {
        out[0] = Float.intBitsToFloat(Float.floatToIntBits(v));
    }

    public static void recursive(float[] out, int n) {
        if (n > 0) recursive(out, n - 1);
        out[0] = n;
    }

    public static void readsMutableStatic(float[] out) { out[0] = counter; }

    public static void readsObjectStatic(float[] out) { out[0] = TABLE[0]; }

    public static void usesAssert(float[] out, int n) {
        assert n > 0;
        out[0] = n;
    }

    public static void callsBadHelper(float[] out, int n) { helper(out, n); }

    private static void helper(float[] out, int n) { out[0] = new float[n].length; }

    public static void callsGoodHelper(float[] out, float v) { out[0] = goodHelper(v); }

    public static float goodHelper(float v) { return v * 2f; }           // a helper kernels call may return a primitive

    public static void mathIsFine(float[] out, float v) { out[0] = (float) Math.exp(v); }

    public static void matmulForward(float[] out, int r0, int r1) {
        for (int r = r0; r < r1; r++) out[r] = r;                  // a Forward kernel whose loop lacks @Parallel
    }

    public static void parallelFromParameter(float[] out, int r0, int r1) {
        for (@Parallel int r = r0; r < r1; r++) out[r] = r;           // starts at a parameter: TornadoVM bails out
    }

    public static void parallelFromOne(float[] out, int n) {
        for (@Parallel int i = 1; i < n; i++) out[i] = i;             // a constant, but not 0
    }

    public static void parallelFromZeroIsFine(float[] out, int r0, int r1) {
        for (@Parallel int it = 0; it < r1 - r0; it++) {
            int r = r0 + it;
            out[r] = r;
        }
    }
}
