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

    SamplerListener NONE = (k, steps, t, xt, xhat, B) -> { };
}
