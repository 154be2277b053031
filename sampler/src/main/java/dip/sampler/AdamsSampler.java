package dip.sampler;

import dip.flow.FlowPath;
import dip.model.Denoiser;
import dip.tornado.exec.Engine;
import dip.tornado.exec.Pass;

/**
 * PixNerd's default sampler (AdamLMSampler, order 2): the Adams–Bashforth two-step method. Like Euler it calls the
 * model once per step, but instead of the current velocity v_k it steps with the straight line through the last
 * two, extrapolated over the step:
 * <pre>
 *   x_{k+1} = x_k + (a_k·v_{k−1} + b_k·v_k)·h_k,     h_k = t_{k+1} − t_k
 *   a_k = −h_k / (2·h_{k−1}),  b_k = 1 + h_k / (2·h_{k−1})      (equal steps: a = −½, b = 3/2)
 * </pre>
 * which is exact for a velocity linear in t, so the error falls as h² (second order) where Euler's falls as h.
 * The first step has no v_{−1} and is an Euler step (a = 0, b = 1). PixNerd gets a and b by integrating the
 * Lagrange polynomial through (t_{k−1}, v_{k−1}), (t_k, v_k) from t_k to t_{k+1} and dividing by the sum of the two
 * weights; {@link #coefficients} does the same float32 operations in the same order, so the update matches it to
 * the rounding. Two more details follow PixNerd: the time given to the model is a running float32 sum
 * t ← t + h_k from 0 (not the grid value itself), and the guidance interval is tested on that t. The last step
 * is an Adams step too (it extrapolates to t = 1).
 * <p>
 * A step is one pass of kernel calls (the guided forward, then {@code adamsBashforth2}, which also keeps v_k for the
 * next step), so a device engine replays one recording for the whole run. Not thread-safe: it owns its buffers.
 */
public final class AdamsSampler implements Sampler {
    private final Denoiser model;
    private final GuidedVelocity velocity;
    private final int steps;
    private final float[] ts;      // (steps + 1) time grid, shifted
    private final float[] coef;    // (steps, 2): a_k, b_k
    private final OdeState st;

    public AdamsSampler(Denoiser model, int steps, Guidance guidance, float timeshift) {
        this.model = model;
        this.steps = steps;
        this.ts = FlowPath.timeGrid(steps, timeshift);
        this.coef = coefficients(ts);
        this.velocity = new GuidedVelocity(model, guidance);
        this.st = new OdeState(model.engine(), Solver.AB2);
    }

    public AdamsSampler(Denoiser model, int steps) { this(model, steps, Guidance.NONE, 1f); }

    /**
     * (a_k, b_k) for every step k of the grid ts, as PixNerd's lagrange_preint_o2 in float32 with
     * t1 = t_{k−1}, t2 = t_k and the integral from t_k to t_{k+1}:
     * int1 = 0.5/(t1 − t2)·((t_{k+1} − t2)² − (t_k − t2)²), int2 = 0.5/(t2 − t1)·((t_{k+1} − t1)² − (t_k − t1)²),
     * a = int1/(int1 + int2), b = int2/(int1 + int2). (Torch evaluates {@code 0.5/x} as {@code x.reciprocal()·0.5}.)
     */
    static float[] coefficients(float[] ts) {
        int steps = ts.length - 1;
        float[] c = new float[2 * steps];
        c[0] = 0f;                                           // first step: order 1, Euler
        c[1] = 1f;
        for (int k = 1; k < steps; k++) {
            float t1 = ts[k - 1], t2 = ts[k], start = ts[k], end = ts[k + 1];
            float int1 = (1f / (t1 - t2)) * 0.5f * (sq(end - t2) - sq(start - t2));
            float int2 = (1f / (t2 - t1)) * 0.5f * (sq(end - t1) - sq(start - t1));
            float sum = int1 + int2;
            c[2 * k] = int1 / sum;
            c[2 * k + 1] = int2 / sum;
        }
        return c;
    }

    private static float sq(float x) { return x * x; }

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
        float[] nums = st.nums, xs = st.xs, v = st.v, vprev = st.vp, xprev = st.xprev;
        int[] ys = st.ys;
        Pass step = new Pass(st.passName("ab2", listening), new Object[] {nums, ys},
                listening ? new Object[] {xprev, v} : null, st.reloads(), () -> {
                    if (listening) e.copySlice(xprev, 0, xs, 0, n);
                    velocity.eval(v, xs, nums, OdeState.T, OdeState.W, ys, B);               // v_k = v(x_k, t)
                    e.adamsBashforth2(xs, vprev, v, nums, OdeState.DT_CORR, n);   // x += (a·v_{k−1} + b·v_k)·h; v_{k−1} ← v_k
                });
        float[] xhat = listening ? new float[n] : null;
        float t = 0f;                                    // PixNerd's t_cur: a running float32 sum of the steps
        for (int k = 0; k < steps; k++) {
            float h = ts[k + 1] - ts[k];
            nums[OdeState.T] = t;
            nums[OdeState.W] = velocity.weightAt(t);
            nums[OdeState.DT_CORR] = h;
            nums[OdeState.A] = coef[2 * k];
            nums[OdeState.B_COEF] = coef[2 * k + 1];
            e.run(step);
            OdeSteps.report(listener, xhat, xprev, v, k, steps, t, n, B);
            t += h;
        }
        return OdeSteps.finish(st, x, n, clamp, listener, steps, B);
    }
}
