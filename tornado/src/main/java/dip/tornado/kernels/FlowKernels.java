package dip.tornado.kernels;

import dip.tornado.Parallel;

/**
 * The flow-matching path and the sampler's guidance, as kernels so a training step or a sampling step can run
 * on the engine's side from start to end. Time convention: t = 0 is noise, t = 1 is data.
 */
public final class FlowKernels {
    private FlowKernels() {
    }

    /**
     * x_t = t·x + (1 − t)·ε, per sample: xt[b, j] = t[b]·x[b, j] + (1 − t[b])·eps[b, j], for flat i = b·per + j in
     * [i0, i1). xt, x, eps: (B, per); t: (B).
     */
    public static void interpolate(float[] xt, float[] x, float[] eps, float[] t, int i0, int i1, int per) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            float tb = t[i / per];
            xt[i] = tb * x[i] + (1f - tb) * eps[i];
        }
    }

    /** The velocity target v = x − ε, i in [i0, i1). Forward of the path above differentiated in t. */
    public static void velocityTarget(float[] v, float[] x, float[] eps, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            v[i] = x[i] - eps[i];
        }
    }

    /**
     * Classifier-free guidance of a [null; conditional] batch: v[vOff + i] = u + w·(c − u) with u = out[i],
     * c = out[cOff + i] and w = s[k], i in [i0, i1) (in float32, as torch's simple guidance function; the official
     * sampler combines with w = 1 outside the guidance interval).
     */
    public static void guidanceCombine(float[] v, int vOff, float[] out, int cOff, float[] s, int k, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            float u = out[i];
            v[vOff + i] = u + s[k] * (out[cOff + i] - u);
        }
    }

    /** As {@link #guidanceCombine} with u and c in two arrays: v[vOff + i] = u[i] + s[k]·(c[i] − u[i]). */
    public static void guidanceCombineSplit(float[] v, int vOff, float[] u, float[] c, float[] s, int k, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            v[vOff + i] = u[i] + s[k] * (c[i] - u[i]);
        }
    }

    /** The Euler predictor out = x + v·s[k] (dt = s[k]), i in [i0, i1); as the official ode_step_fn. */
    public static void eulerTo(float[] out, float[] x, float[] v, float[] s, int k, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            out[i] = x[i] + v[i] * s[k];
        }
    }

    /**
     * Heun's corrector x ← x + (a·v + b·vp)·dt with dt = s[k], a = s[k + 1], b = s[k + 2], i in [i0, i1): a = b = ½
     * is the trapezoid ½(v + vp) (scaling by ½ is exact, so this equals (v + vp)/2 to the bit), a = 1, b = 0 the
     * plain Euler step of the last interval.
     */
    public static void heunCorrect(float[] x, float[] v, float[] vp, float[] s, int k, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            x[i] = x[i] + (s[k + 1] * v[i] + s[k + 2] * vp[i]) * s[k];
        }
    }

    /**
     * One step of the Adams–Bashforth multistep update, order 2 (PixNerd's AdamLMSampler): the velocity used is
     * a·vprev + b·v, the extrapolation through the previous and the current evaluation, with a = s[k + 1],
     * b = s[k + 2] (a = 0, b = 1 on the first step: Euler), then x ← x + (a·vprev + b·v)·dt with dt = s[k], and vprev
     * ← v for the next step. i in [i0, i1). x, vprev, v: (B, C, H, W). The products and the sum are rounded in
     * float32 in the same order as PyTorch's {@code out = 0; out += c_j * v_j}.
     */
    public static void adamsBashforth2(float[] x, float[] vprev, float[] v, float[] s, int k, int i0, int i1) {
        for (@Parallel int it = 0; it < i1 - i0; it++) {
            int i = i0 + it;
            float vi = v[i];
            x[i] = x[i] + (s[k + 1] * vprev[i] + s[k + 2] * vi) * s[k];
            vprev[i] = vi;
        }
    }
}
