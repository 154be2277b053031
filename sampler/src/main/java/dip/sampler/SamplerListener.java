package dip.sampler;

/**
 * Sees the ODE state at every step, for trajectories and progress. Arrays are sampler-owned, (B, C, H, W),
 * valid only during the call: copy what you keep.
 */
@FunctionalInterface
public interface SamplerListener {

    /**
     * Called for k = 0..steps−1 before step k, with t = ts[k], the current x_t and the predicted clean image
     * x̂ = x_t + (1 − t)·v (v the guided velocity at t), and once more with k = steps, t = 1, and
     * x_t = x̂ = the final sample.
     */
    void onStep(int k, int steps, float t, float[] xt, float[] xhat, int B);

    /**
     * False for a listener that only counts steps (a progress line, a clock): the sampler then passes null for
     * x_t and x̂ before each step and, on a device engine, copies nothing back until the final image.
     */
    default boolean needsImages() {
        return true;
    }

    /** A listener that is told the step number only (x_t and x̂ are null before the last call). */
    static SamplerListener steps(StepCounter counter) {
        return new SamplerListener() {
            @Override
            public void onStep(int k, int steps, float t, float[] xt, float[] xhat, int B) {
                counter.onStep(k, steps, t);
            }

            @Override
            public boolean needsImages() {
                return false;
            }
        };
    }

    /** What {@link #steps} calls: step k of steps, at time t. */
    @FunctionalInterface
    interface StepCounter {
        void onStep(int k, int steps, float t);
    }

    SamplerListener NONE = (k, steps, t, xt, xhat, B) -> { };
}
