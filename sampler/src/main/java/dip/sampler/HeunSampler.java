package dip.sampler;

import dip.tornado.exec.Engine;
import dip.tornado.exec.Pass;
import dip.flow.FlowPath;
import dip.model.Denoiser;

/**
 * Heun's method (2nd order, trapezoidal) on the same grid as {@link EulerSampler}, as the official HeunSampler
 * with exact_henu: predictor x' = x + v(x, t_k)·dt, corrector x ← x + ½(v(x, t_k) + v(x', t_{k+1}))·dt; the last
 * step (t_{k+1} = 1) is a plain Euler step (the step still evaluates v(x', 1), with weight 0, so every step makes the
 * same kernel calls and a device engine replays one recording). Two model evaluations per step. Like the official code,
 * both evaluations of a step are guided or not according to t_k (the official Heun tests t_k ≤ hi, not t_k < hi;
 * we keep the strict test of {@link Guidance#active} for both samplers).
 */
public final class HeunSampler implements Sampler {
    private final Denoiser model;
    private final GuidedVelocity velocity;
    private final int steps;
    private final float[] ts;    // (steps + 1) time grid
    private final OdeState st;

    public HeunSampler(Denoiser model, int steps, Guidance guidance) { this(model, steps, guidance, 1f); }

    /** On the grid shifted by {@code timeshift} ({@link FlowPath#timeGrid(int, float)}; 1 = the paper's grid). */
    public HeunSampler(Denoiser model, int steps, Guidance guidance, float timeshift) {
        this.model = model;
        this.steps = steps;
        this.ts = FlowPath.timeGrid(steps, timeshift);
        this.velocity = new GuidedVelocity(model, guidance);
        this.st = new OdeState(model.engine(), Solver.HEUN);
    }

    public HeunSampler(Denoiser model, int steps) { this(model, steps, Guidance.NONE); }

    @Override
    public int steps() { return steps; }

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
        float[] nums = st.nums, xs = st.xs, v = st.v, xp = st.xp, vp = st.vp, xprev = st.xprev;
        int[] ys = st.ys;
        Pass step = new Pass(st.passName("heun", listening), new Object[] {nums, ys},
                listening ? new Object[] {xprev, v} : null, st.reloads(), () -> {
                    if (listening) e.copySlice(xprev, 0, xs, 0, n);
                    velocity.eval(v, xs, nums, OdeState.T, OdeState.W, ys, B);         // v(x, t_k)
                    e.eulerTo(xp, xs, v, nums, OdeState.DT, n);                          // x' = x + v·dt
                    velocity.eval(vp, xp, nums, OdeState.T_NEXT, OdeState.W, ys, B);   // v(x', t_{k+1})
                    e.heunCorrect(xs, v, vp, nums, OdeState.DT_CORR, n);               // x ← x + (a·v + b·vp)·dt
                });
        float[] xhat = listening ? new float[n] : null;
        for (int k = 0; k < steps; k++) {
            float t = ts[k], tNext = ts[k + 1], dt = tNext - t;
            boolean last = k == steps - 1;                    // the last step is a plain Euler step
            nums[OdeState.T] = t;
            nums[OdeState.DT] = dt;
            nums[OdeState.T_NEXT] = tNext;
            nums[OdeState.W] = velocity.weightAt(t);
            nums[OdeState.DT_CORR] = dt;
            nums[OdeState.A] = last ? 1f : 0.5f;
            nums[OdeState.B_COEF] = last ? 0f : 0.5f;
            e.run(step);
            OdeSteps.report(listener, xhat, xprev, v, k, steps, t, n, B);
        }
        return OdeSteps.finish(st, x, n, clamp, listener, steps, B);
    }
}
