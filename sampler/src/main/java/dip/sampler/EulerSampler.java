package dip.sampler;

import dip.tornado.exec.Engine;
import dip.tornado.exec.Pass;
import dip.flow.FlowPath;
import dip.model.Denoiser;

/**
 * The paper's sampler: Euler steps x ← x + v(x, t)·dt on t_k = FlowPath.timeGrid(steps), with classifier-free
 * guidance inside the interval. One model evaluation (of 2B rows when guided) per step. A step is one pass of
 * kernel calls on the model's engine (the forward, the guidance combine, the update), so on a device engine x_t
 * stays on the device from the starting noise to the final image; only the step's numbers and the labels go in.
 * Not thread-safe: it owns its buffers; give each thread its own sampler.
 */
public final class EulerSampler implements Sampler {
    private final Denoiser model;
    private final GuidedVelocity velocity;
    private final int steps;
    private final float[] ts;    // (steps + 1) time grid
    private final OdeState st;

    public EulerSampler(Denoiser model, int steps, Guidance guidance) { this(model, steps, guidance, 1f); }

    /** On the grid shifted by {@code timeshift} ({@link FlowPath#timeGrid(int, float)}; 1 = the paper's grid). */
    public EulerSampler(Denoiser model, int steps, Guidance guidance, float timeshift) {
        this.model = model;
        this.steps = steps;
        this.ts = FlowPath.timeGrid(steps, timeshift);
        this.velocity = new GuidedVelocity(model, guidance);
        this.st = new OdeState(model.engine(), Solver.EULER);
    }

    /** Guidance w on (lo, hi): the trainer's per-epoch grid calls this one. */
    public EulerSampler(Denoiser model, int steps, float cfgScale, float lo, float hi) {
        this(model, steps, new Guidance(cfgScale, lo, hi));
    }

    /** Unguided sampler (w = 1). */
    public EulerSampler(Denoiser model, int steps) { this(model, steps, Guidance.NONE); }

    /**
     * Declares that the host changes the model's weights between runs (the trainer's grid of EMA samples loads new
     * weights before each): a device engine then sends them with the starting noise instead of compiling the
     * sampling step again. It keeps a staging copy of the weights on the host and on the device for that.
     */
    public EulerSampler reloadingWeights() {
        st.reloadWeights(model.params().dataArrays());
        return this;
    }

    @Override
    public int steps() { return steps; }

    /** Rows a guided forward of n images needs (2n, or n without guidance); sample() chunks by itself anyway. */
    public int batchFor(int n) { return velocity.guidance().scale() == 1f ? n : 2 * n; }

    @Override
    public float[] sample(float[] x, int[] y, int B, SamplerListener listener) { return run(x, y, B, listener, true); }

    @Override
    public float[] integrate(float[] x, int[] y, int B, SamplerListener listener) { return run(x, y, B, listener, false); }

    private float[] run(float[] x, int[] y, int B, SamplerListener listener, boolean clamp) {
        OdeSteps.checkInputs(model.config(), x, y, B);
        int per = velocity.per(), n = B * per;          // x: (B, C, H, W) state x_t
        st.load(x, y, B, per);
        boolean listening = OdeSteps.wantsImages(listener);
        Engine e = st.engine;
        float[] nums = st.nums, xs = st.xs, v = st.v, xprev = st.xprev;
        int[] ys = st.ys;
        Pass step = new Pass(st.passName("euler", listening), new Object[] {nums, ys},
                listening ? new Object[] {xprev, v} : null, st.reloads(), () -> {
                    if (listening) e.copySlice(xprev, 0, xs, 0, n);
                    velocity.eval(v, xs, nums, OdeState.T, OdeState.W, ys, B);
                    e.axpyFrom(xs, v, nums, OdeState.DT, n);                      // x ← x + v·dt
                });
        float[] xhat = listening ? new float[n] : null;  // (B, C, H, W) predicted clean image
        for (int k = 0; k < steps; k++) {
            float t = ts[k];
            nums[OdeState.T] = t;
            nums[OdeState.DT] = ts[k + 1] - t;
            nums[OdeState.W] = velocity.weightAt(t);
            e.run(step);
            OdeSteps.report(listener, xhat, xprev, v, k, steps, t, n, B);
        }
        return OdeSteps.finish(st, x, n, clamp, listener, steps, B);
    }
}
