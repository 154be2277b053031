package dip.model;

import dip.layers.ParamRegistry;

/**
 * What the trainer and the sampler need of a model: v = f(x_t, t, y), its backward, and its parameters.
 * Implemented by {@code Dip} (DiT backbone + Patch Detailer Head, or DiT-only). Images are (B, C, H, W) in
 * [-1, 1], row-major; t in [0, 1] (0 = noise, 1 = data); y in [0, numClasses] where numClasses is the null class.
 */
public interface Denoiser {

    DipConfig config();

    ParamRegistry params();

    /** Largest batch the preallocated buffers hold. */
    int maxBatch();

    /** Velocity prediction (B, C, H, W), a model-owned buffer valid until the next forward. */
    float[] forward(float[] x, float[] t, int[] y, int B);

    /** Given dL/dv (B, C, H, W) for the last forward, accumulates dL/dθ into every param's grad. */
    void backward(float[] dv);
}
