package dip.model;

import dip.layers.ParamRegistry;
import dip.tornado.exec.Engine;
import dip.tornado.exec.JavaEngine;

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

    /**
     * A model of the same config and parameter layout on the same engine, built to run forward only, for up to
     * maxBatch rows; its weight values are unset (the caller copies weights in). The trainer's sample grid samples
     * with one, so the training model's weights, and a device engine's compiled training step, are left alone.
     */
    default Denoiser forSampling(int maxBatch) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot make a model for sampling");
    }

    /** Velocity prediction (B, C, H, W), a model-owned buffer valid until the next forward. */
    float[] forward(float[] x, float[] t, int[] y, int B);

    /** Given dL/dv (B, C, H, W) for the last forward, accumulates dL/dθ into every param's grad. */
    void backward(float[] dv);

    /**
     * The engine the model's kernels run on; the trainer and the sampler run their own kernels (loss, optimiser,
     * ODE step) on it too, in the same passes. A model that computes in plain Java (a test stand-in) keeps the
     * default, a one-thread Java engine.
     */
    default Engine engine() { return SERIAL; }

    /** The default engine of {@link #engine()}. */
    Engine SERIAL = new JavaEngine(1);
}
