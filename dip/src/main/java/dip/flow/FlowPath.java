package dip.flow;

/**
 * The flow-matching path, in one place for the trainer's loss and the sampler's ODE (DIP-SPEC §3–4).
 * Time convention: t = 0 is pure noise, t = 1 is data. x_t = t·x + (1 − t)·ε, and the velocity
 * dx_t/dt = x − ε is what the network predicts. Randomness is always an argument, never drawn here.
 * Images are (B, per) flat, per = C·H·W; t is per sample.
 */
public final class FlowPath {
    private FlowPath() {
    }

    /** xt[b, j] = t[b]·x[b, j] + (1 − t[b])·eps[b, j]. */
    public static void interpolate(float[] xt, float[] x, float[] eps, float[] t, int B, int per) {
        for (int b = 0; b < B; b++) {
            float tb = t[b];
            for (int j = b * per; j < (b + 1) * per; j++) xt[j] = tb * x[j] + (1f - tb) * eps[j];
        }
    }

    /** v[j] = x[j] − eps[j]: the target velocity. */
    public static void velocityTarget(float[] v, float[] x, float[] eps, int n) {
        for (int j = 0; j < n; j++) v[j] = x[j] - eps[j];
    }

    /** Logit-normal time: t = σ(n) with n ~ N(0, 1) given. */
    public static float logitNormal(double n) {
        return (float) (1.0 / (1.0 + Math.exp(-n)));
    }

    /**
     * The sampler's time grid: linspace(0, 1 − 1/steps, steps) followed by 1.0, computed in float32 as torch does
     * (for 4 steps: 0, 0.25, 0.5, 0.75, 1). Length steps + 1.
     */
    public static float[] timeGrid(int steps) {
        if (steps <= 0) throw new IllegalArgumentException("steps must be positive, got " + steps);
        float[] ts = new float[steps + 1];
        float end = 1f - 1f / steps;
        for (int k = 0; k < steps; k++) ts[k] = steps == 1 ? 0f : (float) ((double) end * k / (steps - 1));
        ts[steps] = 1f;
        return ts;
    }
}
