package dip.flow;

/**
 * The flow-matching path, in one place for the trainer's loss and the sampler's ODE (docs/model-spec.md §4–5).
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
     * The sampler's time grid: linspace(0, 1 − 1/steps, steps) followed by 1.0 (for 4 steps: 0, 0.25, 0.5, 0.75, 1).
     * Length steps + 1. Bit-for-bit the float32 values of the official
     * {@code torch.linspace(0.0, 1 - 1/steps, steps)} on the CPU (torch 1.13, AVX2 build), checked for steps 1..200
     * by {@code FlowPathTimeGridTest}. That kernel computes step = (end − start)/(steps − 1) in float32, then
     * start + step·k below the halfway index and end − step·(steps − 1 − k) from it on (the second one compiled to
     * a fused multiply-add); its vectorised part takes such a value at the first lane of each group of 8 and adds
     * step·lane to it. The end point 1 − 1/steps is computed in double by Python, then rounded to float32.
     * (The official shift_respace_fn(t, 1) = t / (t + (1 − t)) leaves these values unchanged, checked likewise.)
     */
    public static float[] timeGrid(int steps) {
        if (steps <= 0) throw new IllegalArgumentException("steps must be positive, got " + steps);
        float[] ts = new float[steps + 1];
        float end = (float) (1.0 - 1.0 / steps);
        if (steps > 1) {
            float step = end / (steps - 1);                       // (end - start) / (steps - 1), start = 0
            int half = steps / 2;
            int vectorised = steps - steps % (2 * LINSPACE_LANES); // torch's loop takes two vectors at a time
            for (int k = 0; k < steps; k++) {
                int first = k < vectorised ? k - k % LINSPACE_LANES : k;
                float base = first < half ? step * first : Math.fma(-step, (float) (steps - first - 1), end);
                ts[k] = k == first ? base : base + (k - first) * step;
            }
        }
        ts[steps] = 1f;
        return ts;
    }

    /**
     * The time grid with a timeshift: each t of {@link #timeGrid(int)} becomes t' = t / (t + (1 − t)·shift), in float32
     * as PixNerd's {@code shift_respace_fn}. t = 0 (noise) and t = 1 (data) stay where they are; shift &gt; 1 moves the
     * inner points towards t = 0, so more of the steps are spent near the noise, where the coarse layout of the image
     * is decided (shift 3 turns 0.5 into 0.25). shift = 1 returns the plain grid itself (the formula leaves it
     * unchanged too, checked bit for bit by scripts/reference/time_grid_torch.py).
     */
    public static float[] timeGrid(int steps, float shift) {
        if (!(shift > 0f) || !Float.isFinite(shift)) throw new IllegalArgumentException("timeshift must be a positive number, got " + shift);
        float[] ts = timeGrid(steps);
        if (shift == 1f) return ts;
        for (int k = 0; k < ts.length; k++) ts[k] = shift(ts[k], shift);
        return ts;
    }

    /** t / (t + (1 − t)·s), float32, operation for operation as PixNerd's shift_respace_fn. */
    public static float shift(float t, float s) { return t / (t + (1f - t) * s); }

    /** Float lanes of the AVX2 vectors torch's CPU linspace kernel runs on. */
    private static final int LINSPACE_LANES = 8;
}
