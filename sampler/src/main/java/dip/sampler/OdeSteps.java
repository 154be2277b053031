package dip.sampler;

import dip.model.DipConfig;

import java.util.Locale;

/** Small pieces the samplers share: input checks, what a listener is told, the x̂ prediction, the Euler update. */
final class OdeSteps {
    private OdeSteps() {
    }

    static void checkInputs(DipConfig cfg, float[] x, int[] y, int B) {
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        if (B < 1) throw new IllegalArgumentException("batch must be >= 1, got " + B);
        if (x.length < B * per) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "x has %d values, need B*C*H*W = %d*%d*%d*%d = %d", x.length, B, cfg.channels(),
                    cfg.imageSize(), cfg.imageSize(), B * per));
        }
        if (y.length < B) throw new IllegalArgumentException("labels has " + y.length + " entries, need " + B);
        for (int b = 0; b < B; b++) {
            if (y[b] < 0 || y[b] > cfg.numClasses()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "label y[%d] = %d is outside [0, %d] (%d = null class)", b, y[b], cfg.numClasses(),
                        cfg.numClasses()));
            }
        }
    }

    /** True when the listener wants x_t and x̂ at every step (a device engine then copies them back every step). */
    static boolean wantsImages(SamplerListener listener) {
        return listener != SamplerListener.NONE && listener.needsImages();
    }

    /**
     * Tells the listener that step k, from time t, is done. With a scratch buffer xhat (a listener that wants images)
     * it passes x_t (xprev, the state the step started from) and x̂ = x_t + (1 − t)·v; with xhat null, only the step.
     */
    static void report(SamplerListener listener, float[] xhat, float[] xprev, float[] v, int k, int steps, float t,
                       int n, int B) {
        if (xhat == null) {
            listener.onStep(k, steps, t, null, null, B);
            return;
        }
        predictClean(xhat, xprev, v, t, n);
        listener.onStep(k, steps, t, xprev, xhat, B);
    }

    /** Ends a run: the final state into x, clamped to [−1, 1] when asked, and the listener's last call (t = 1). */
    static float[] finish(OdeState st, float[] x, int n, boolean clamp, SamplerListener listener, int steps, int B) {
        st.store(x, n);
        if (clamp) clamp(x, n);
        listener.onStep(steps, steps, 1f, x, x, B);
        return x;
    }

    /** xhat = x + (1 − t)·v over n values. */
    static void predictClean(float[] xhat, float[] x, float[] v, float t, int n) {
        float rest = 1f - t;
        for (int j = 0; j < n; j++) xhat[j] = x[j] + rest * v[j];
    }

    /** x = clamp(x, −1, 1) over n values. */
    static void clamp(float[] x, int n) {
        for (int j = 0; j < n; j++) x[j] = Math.max(-1f, Math.min(1f, x[j]));
    }

    /** out = x + v·dt over n values (out may be x), as the official ode_step_fn. */
    static void euler(float[] out, float[] x, float[] v, float dt, int n) {
        for (int j = 0; j < n; j++) out[j] = x[j] + v[j] * dt;
    }
}
