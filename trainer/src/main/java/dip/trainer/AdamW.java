package dip.trainer;

import dip.layers.Param;
import dip.tornado.exec.Engine;
import dip.tornado.kernels.OptimizerKernels;
import dip.layers.ParamRegistry;

import java.util.List;

/**
 * AdamW with decoupled weight decay, exactly as torch.optim.AdamW (single-tensor path, PyTorch 1.13): per step
 * p ← p·(1 − lr·wd); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; p ← p − (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + ε).
 * Scalars are formed in double and rounded to float once, as torch does with Python scalars, so the update matches
 * PyTorch to the last bit on the test fixture. The per-element math is OptimizerKernels.adamw, run on the host by
 * {@link #step(double)} and on the engine, inside the training pass, by {@link #step(Engine, float[], float[], Ema)}.
 * Holds the moments m, v (flat arrays laid out as the registry's banks: a parameter's moments are at its offset)
 * and the step count t; the checkpoint saves all three. Not the learning-rate schedule (see LrSchedule).
 */
public final class AdamW {
    public static final double DEFAULT_EPS = 1e-8;

    private final ParamRegistry reg;
    private final List<Param> params;
    private final double beta1, beta2, eps, weightDecay;
    private final float[][] m, v;      // exp_avg, exp_avg_sq: [bank][scalar], laid out as the registry's banks
    private long t;                    // number of steps taken

    public AdamW(ParamRegistry reg, double beta1, double beta2, double eps, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("AdamW needs eps > 0 and weight decay >= 0, got " + eps + ", " + weightDecay);
        }
        this.reg = reg;
        this.params = reg.all();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        m = new float[ParamRegistry.BANKS][];
        v = new float[ParamRegistry.BANKS][];
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            m[b] = new float[reg.count(b)];
            v[b] = new float[reg.count(b)];
        }
    }

    /** One update of every parameter from its accumulated grad, with learning rate lr, on the host. */
    public void step(double lr) {
        float[] hp = new float[OptimizerKernels.HP_SIZE];
        hyper(lr, hp);
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            OptimizerKernels.adamw(reg.data(b), reg.grad(b), m[b], v[b], hp, OPEN, 0, m[b].length);
        }
        t++;
    }

    /**
     * Fills hp (OptimizerKernels.HP_*) with the numbers of the next step (step count t + 1) at learning rate lr.
     * Scalars are formed in double and rounded to float once, as torch does with Python scalars.
     */
    public void hyper(double lr, float[] hp) {
        long next = t + 1;
        hp[OptimizerKernels.HP_DECAY] = (float) (1 - lr * weightDecay);
        hp[OptimizerKernels.HP_B1] = (float) beta1;
        hp[OptimizerKernels.HP_ONE_MINUS_B1] = (float) (1 - beta1);
        hp[OptimizerKernels.HP_B2] = (float) beta2;
        hp[OptimizerKernels.HP_ONE_MINUS_B2] = (float) (1 - beta2);
        hp[OptimizerKernels.HP_STEP_SIZE] = (float) (lr / (1 - Math.pow(beta1, next)));
        hp[OptimizerKernels.HP_BC2_SQRT] = (float) Math.sqrt(1 - Math.pow(beta2, next));
        hp[OptimizerKernels.HP_EPS] = (float) eps;
    }

    /**
     * The update as kernel calls on the engine (inside a training pass): every parameter from its grad with the
     * numbers in hp (see {@link #hyper}), scaled and gated by gate (OptimizerKernels.clipGate), and then {@code ema}
     * of the new weights: one kernel per bank of the registry, over all its parameters at once (a device counts
     * launches). Call {@link #advance()} once the step is known to be applied.
     */
    public void step(Engine engine, float[] hp, float[] gate, Ema ema) {
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            engine.adamwEma(reg.data(b), reg.grad(b), m[b], v[b], ema.shadow(b), hp, gate, ema.decay(), m[b].length);
        }
    }

    /** Counts one applied step (the bias corrections of the next one use t + 1). */
    public void advance() { t++; }

    /** A gate that always applies, unclipped: the host path. */
    static final float[] OPEN = {1f, 1f};

    public long stepCount() { return t; }

    public void setStepCount(long steps) {
        if (steps < 0) throw new IllegalArgumentException("AdamW step count must be >= 0, got " + steps);
        t = steps;
    }

    /** exp_avg of every parameter of a bank, laid out as the bank (param p at p.offset()); live, for checkpoints. */
    public float[] m(int bank) { return m[bank]; }

    /** exp_avg_sq of every parameter of a bank; live, for checkpoints. */
    public float[] v(int bank) { return v[bank]; }

    /** A copy of exp_avg of parameter i (registry order). */
    public float[] firstMoment(int i) { Param p = params.get(i); return p.slice(m[p.bank()]); }

    /** A copy of exp_avg_sq of parameter i (registry order). */
    public float[] secondMoment(int i) { Param p = params.get(i); return p.slice(v[p.bank()]); }

    public List<Param> params() { return params; }

    /** The moment arrays, m then v, bank by bank (for the engine: download before reading, upload after changing). */
    public Object[] arrays() {
        Object[] a = new Object[2 * ParamRegistry.BANKS];
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            a[b] = m[b];
            a[ParamRegistry.BANKS + b] = v[b];
        }
        return a;
    }
}
