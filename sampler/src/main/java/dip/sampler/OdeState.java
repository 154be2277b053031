package dip.sampler;

import dip.tornado.exec.Engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sampler's working arrays on its model's engine, allocated for the batch size of the current run (and again
 * when it changes): the state x_t, the velocity, the Heun predictor (or the Adams–Bashforth method's previous
 * velocity), the labels, the step's numbers, and the copy of
 * x_t a listener reads. A sampling step is a pass over these fixed arrays; its name carries this state's id and
 * generation so a device engine never replays a recording made over other arrays.
 */
final class OdeState {
    private static final AtomicInteger IDS = new AtomicInteger();

    /** Slots of {@link #nums}: the step's numbers, sent to the engine with every step. */
    static final int T = 0, DT = 1, T_NEXT = 2, W = 3, DT_CORR = 4, A = 5, B_COEF = 6, SIZE = 7;

    final Engine engine;
    final float[] nums = new float[SIZE];
    private final int id = IDS.incrementAndGet();
    private final Solver solver;
    private int batch = -1, generation;
    float[] xs, v, xprev;
    float[] xp, vp;     // Heun: the predictor x' and v(x', t_{k+1}); AB2: vp is the previous step's velocity
    int[] ys;
    private Object[] weights = new Object[0];   // the model's weight arrays, when the host changes them between runs

    OdeState(Engine engine, Solver solver) {
        this.engine = engine;
        this.solver = solver;
    }

    /** Arrays for B images of per values each; new ones only when B changes. */
    void ensure(int B, int per) {
        if (B == batch) return;
        batch = B;
        generation++;
        int n = B * per;
        xs = new float[n];
        v = new float[n];
        xprev = new float[n];
        ys = new int[B];
        if (solver == Solver.HEUN) xp = new float[n];
        if (solver != Solver.EULER) vp = new float[n];
    }

    /** The pass name for this state's arrays; listening passes also copy x_t and v back every step. */
    String passName(String solver, boolean listening) {
        return solver + "#" + id + "." + generation + ".B" + batch + (listening ? ".listen" : "");
    }

    /**
     * What a sampling step carries from step to step and each run sets anew on the host ({@code Pass.reloads}): x_t,
     * and the Adams–Bashforth method's previous velocity (and the model's weights after {@link #reloadWeights}). A
     * device engine sends just these for a new batch of noise.
     */
    Object[] reloads() {
        Object[] own = solver == Solver.AB2 ? new Object[] {xs, vp} : new Object[] {xs};
        Object[] all = java.util.Arrays.copyOf(own, own.length + weights.length);
        System.arraycopy(weights, 0, all, own.length, weights.length);
        return all;
    }

    /** Counts the model's weight arrays among the reloads: the host sets them anew between runs. */
    void reloadWeights(Object[] weightArrays) {
        weights = weightArrays.clone();
    }

    /** Loads the run's starting noise and labels into the engine's arrays. */
    void load(float[] x, int[] y, int B, int per) {
        ensure(B, per);
        System.arraycopy(x, 0, xs, 0, B * per);
        System.arraycopy(y, 0, ys, 0, B);
        engine.upload(xs);
        if (solver == Solver.AB2) {               // no previous velocity yet (its weight is 0 on the first step)
            java.util.Arrays.fill(vp, 0f);
            engine.upload(vp);
        }
    }

    /** Copies the final x_t back into x. */
    void store(float[] x, int n) {
        engine.download(xs);
        System.arraycopy(xs, 0, x, 0, n);
    }
}
