package dip.sampler;

import dip.flow.FlowPath;
import dip.model.Denoiser;

/**
 * Heun's method (2nd order, trapezoidal) on the same grid as {@link EulerSampler}, as the official HeunSampler
 * with exact_henu: predictor x' = x + v(x, t_k)·dt, corrector x ← x + ½(v(x, t_k) + v(x', t_{k+1}))·dt; the last
 * step (t_{k+1} = 1) is a plain Euler step. Two model evaluations per step but the last. Like the official code,
 * both evaluations of a step are guided or not according to t_k (the official Heun tests t_k ≤ hi, not t_k < hi;
 * we keep the strict test of {@link Guidance#active} for both samplers).
 */
public final class HeunSampler implements Sampler {
    private final Denoiser model;
    private final GuidedVelocity velocity;
    private final int steps;
    private final float[] ts;    // (steps + 1) time grid

    public HeunSampler(Denoiser model, int steps, Guidance guidance) {
        this.model = model;
        this.steps = steps;
        this.ts = FlowPath.timeGrid(steps);
        this.velocity = new GuidedVelocity(model, guidance);
    }

    public HeunSampler(Denoiser model, int steps) { this(model, steps, Guidance.NONE); }

    @Override
    public int steps() { return steps; }

    @Override
    public float[] sample(float[] x, int[] y, int B, SamplerListener listener) {
        OdeSteps.checkInputs(model.config(), x, y, B);
        int n = B * velocity.per();                       // x: (B, C, H, W) state x_t, integrated in place
        float[] v = new float[n];                         // (B, C, H, W) v(x, t_k)
        float[] xp = new float[n];                        // (B, C, H, W) Euler predictor x'
        float[] vp = new float[n];                        // (B, C, H, W) v(x', t_{k+1})
        float[] xhat = new float[n];
        for (int k = 0; k < steps; k++) {
            float t = ts[k], tNext = ts[k + 1], dt = tNext - t;
            velocity.eval(v, x, t, y, B);
            if (listener != SamplerListener.NONE) {
                OdeSteps.predictClean(xhat, x, v, t, n);
                listener.onStep(k, steps, t, x, xhat, B);
            }
            if (k == steps - 1) {
                OdeSteps.euler(x, x, v, dt, n);
                break;
            }
            OdeSteps.euler(xp, x, v, dt, n);
            velocity.evalGuidedBy(vp, xp, tNext, t, y, B);
            for (int j = 0; j < n; j++) x[j] = x[j] + ((v[j] + vp[j]) / 2f) * dt;
        }
        OdeSteps.clamp(x, n);
        listener.onStep(steps, steps, 1f, x, x, B);
        return x;
    }
}
