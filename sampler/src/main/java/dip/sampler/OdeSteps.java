package dip.sampler;

import dip.model.DipConfig;

import java.util.Locale;

/** Small pieces both samplers share: input checks, the x̂ prediction, the Euler update. */
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
