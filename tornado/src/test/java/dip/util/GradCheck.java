package dip.util;

import java.util.function.ToDoubleFunction;

/**
 * Finite-difference gradient checks in float32 (JAX check_grads style): compares the directional derivative
 * along a random unit direction u, (L(x + h·u) − L(x − h·u)) / 2h, against ⟨grad, u⟩.
 * Used by every backward kernel's test. Throws AssertionError with both numbers when they disagree.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * @param loss  L(x), evaluated in float math but returned as double; must not modify its argument
     * @param x     the point (not modified: a copy is perturbed)
     * @param grad  the analytic dL/dx at x
     * @param h     step (1e-2 suits float32 with O(1) inputs)
     * @param rel   allowed relative error, e.g. Tol.GRAD_REL
     */
    public static void assertDirectional(ToDoubleFunction<float[]> loss, float[] x, float[] grad,
                                         Rng rng, double h, double rel) {
        assertDirectional("x", loss, x, grad, rng, h, rel);
    }

    public static void assertDirectional(String what, ToDoubleFunction<float[]> loss, float[] x, float[] grad,
                                         Rng rng, double h, double rel) {
        int n = x.length;
        double[] u = new double[n];
        double norm = 0;
        for (int i = 0; i < n; i++) { u[i] = rng.nextGaussian(); norm += u[i] * u[i]; }
        norm = Math.sqrt(norm);
        double analytic = 0;
        for (int i = 0; i < n; i++) { u[i] /= norm; analytic += grad[i] * u[i]; }
        float[] xp = x.clone(), xm = x.clone();
        for (int i = 0; i < n; i++) { xp[i] = (float) (x[i] + h * u[i]); xm[i] = (float) (x[i] - h * u[i]); }
        double numeric = (loss.applyAsDouble(xp) - loss.applyAsDouble(xm)) / (2 * h);
        double gradNorm = 0;
        for (float g : grad) gradNorm += (double) g * g;
        gradNorm = Math.sqrt(gradNorm);
        double err = Math.abs(numeric - analytic);
        // Relative to the larger of the two derivatives, with a floor at 1e-3 of |grad| for near-zero projections.
        double scale = Math.max(Math.max(Math.abs(numeric), Math.abs(analytic)), 1e-3 * gradNorm + 1e-12);
        if (!(err <= rel * scale)) {                                   // (a NaN gradient fails too)
            throw new AssertionError(String.format(
                    "gradient check failed for %s: numeric %.6g vs analytic %.6g (rel err %.3g > %.3g, |grad| %.3g)",
                    what, numeric, analytic, err / scale, rel, gradNorm));
        }
    }

    /** A buffer of NaNs: a backward that must write every element starts from one, so a missed element fails. */
    public static float[] nans(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, Float.NaN);
        return a;
    }

    /** Σ a[i]·b[i] in double: the usual test loss L = ⟨f(x), dout⟩, whose gradient is what backward accumulates. */
    public static double dot(float[] a, float[] b, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[i] * b[i];
        return s;
    }

    /** Asserts |a[i] − b[i]| ≤ tol·(1 + |b[i]|) for all i, naming the first bad index and both values. */
    public static void assertClose(String what, float[] expected, float[] actual, int n, float tol) {
        for (int i = 0; i < n; i++) {
            float e = expected[i], a = actual[i];
            if (!(Math.abs(e - a) <= tol * (1 + Math.abs(e)))) {
                throw new AssertionError(String.format("%s[%d]: expected %.8g, got %.8g (tol %.1g)", what, i, e, a, tol));
            }
        }
    }
}
