package dip.sampler;

import dip.flow.FlowPath;
import dip.model.Denoiser;

/**
 * The paper's sampler (DIP-SPEC §4): Euler steps x ← x + v(x, t)·dt on t_k = FlowPath.timeGrid(steps), with
 * classifier-free guidance inside the interval. One model evaluation (of 2B rows when guided) per step.
 * Not thread-safe: it owns its buffers; give each thread its own sampler.
 */
public final class EulerSampler implements Sampler {
    private final Denoiser model;
    private final GuidedVelocity velocity;
    private final int steps;
    private final float[] ts;    // (steps + 1) time grid

    public EulerSampler(Denoiser model, int steps, Guidance guidance) {
        this.model = model;
        this.steps = steps;
        this.ts = FlowPath.timeGrid(steps);
        this.velocity = new GuidedVelocity(model, guidance);
    }

    /** Guidance w on (lo, hi): the trainer's per-epoch grid calls this one. */
    public EulerSampler(Denoiser model, int steps, float cfgScale, float lo, float hi) {
        this(model, steps, new Guidance(cfgScale, lo, hi));
    }

    /** Unguided sampler (w = 1). */
    public EulerSampler(Denoiser model, int steps) { this(model, steps, Guidance.NONE); }

    @Override
    public int steps() { return steps; }

    /** Rows a guided forward of n images needs (2n, or n without guidance); sample() chunks by itself anyway. */
    public int batchFor(int n) { return velocity.guidance().scale() == 1f ? n : 2 * n; }

    @Override
    public float[] sample(float[] x, int[] y, int B, SamplerListener listener) {
        OdeSteps.checkInputs(model.config(), x, y, B);
        int n = B * velocity.per();                       // x: (B, C, H, W) state x_t, integrated in place
        float[] v = new float[n];                         // (B, C, H, W) velocity at (x_t, t)
        float[] xhat = new float[n];                      // (B, C, H, W) predicted clean image
        for (int k = 0; k < steps; k++) {
            float t = ts[k], dt = ts[k + 1] - ts[k];
            velocity.eval(v, x, t, y, B);
            if (listener != SamplerListener.NONE) {
                OdeSteps.predictClean(xhat, x, v, t, n);
                listener.onStep(k, steps, t, x, xhat, B);
            }
            OdeSteps.euler(x, x, v, dt, n);
        }
        OdeSteps.clamp(x, n);
        listener.onStep(steps, steps, 1f, x, x, B);
        return x;
    }
}
