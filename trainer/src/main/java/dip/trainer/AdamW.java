package dip.trainer;

import dip.layers.Param;
import dip.layers.ParamRegistry;

import java.util.List;

/**
 * AdamW with decoupled weight decay, exactly as torch.optim.AdamW (single-tensor path, PyTorch 1.13): per step
 * p ← p·(1 − lr·wd); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; p ← p − (lr / (1 − β1ᵗ))·m / (√v / √(1 − β2ᵗ) + ε).
 * Scalars are formed in double and rounded to float once, as torch does with Python scalars, so the update matches
 * PyTorch to the last bit on the test fixture. Holds the moments m, v (one pair per Param, same order as the
 * registry) and the step count t; the checkpoint saves all three. Not the learning-rate schedule (see LrSchedule).
 */
public final class AdamW {
    public static final double DEFAULT_EPS = 1e-8;

    private final List<Param> params;
    private final double beta1, beta2, eps, weightDecay;
    private final float[][] m, v;      // exp_avg, exp_avg_sq: each the size of its Param
    private long t;                    // number of steps taken

    public AdamW(ParamRegistry reg, double beta1, double beta2, double eps, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("AdamW needs eps > 0 and weight decay >= 0, got " + eps + ", " + weightDecay);
        }
        this.params = reg.all();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        m = new float[params.size()][];
        v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).size()];
            v[i] = new float[params.get(i).size()];
        }
    }

    /** One update of every parameter from its accumulated grad, with learning rate lr. */
    public void step(double lr) {
        t++;
        float decay = (float) (1 - lr * weightDecay);
        float b1 = (float) beta1, oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) beta2, oneMinusB2 = (float) (1 - beta2);
        float stepSize = (float) (lr / (1 - Math.pow(beta1, t)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, t));
        float epsF = (float) eps;
        for (int i = 0; i < params.size(); i++) {
            update(params.get(i).data(), params.get(i).grad(), m[i], v[i], 0, m[i].length,
                    decay, b1, oneMinusB1, b2, oneMinusB2, stepSize, bc2Sqrt, epsF);
        }
    }

    /**
     * The per-element update over [r0, r1), in the kernel style (plain arrays, no allocation) so it can move to the
     * engine later. p, m, v modified; g read. The float operation order is torch's (mul_, add_, addcmul_, addcdiv_);
     * torch's vectorised CPU kernels contract the two moment updates into fused multiply-adds, and so do we (checked
     * bit for bit against PyTorch 1.13 in AdamWTest).
     */
    // TODO(perf): run through Engine.parallelFor / a TaskGraph once training runs on the GPU; it is O(params) per step.
    static void update(float[] p, float[] g, float[] m, float[] v, int r0, int r1, float decay,
                       float b1, float oneMinusB1, float b2, float oneMinusB2,
                       float stepSize, float bc2Sqrt, float eps) {
        for (int r = r0; r < r1; r++) {
            p[r] = p[r] * decay;                                   // param.mul_(1 - lr * wd)
            m[r] = Math.fma(g[r], oneMinusB1, m[r] * b1);          // exp_avg.mul_(b1).add_(g, alpha=1-b1)
            v[r] = Math.fma(oneMinusB2 * g[r], g[r], v[r] * b2);   // exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2)
            float denom = (float) Math.sqrt(v[r]) / bc2Sqrt + eps; // (v.sqrt() / sqrt(bc2)).add_(eps)
            p[r] = p[r] + (-stepSize) * m[r] / denom;              // param.addcdiv_(m, denom, value=-step_size)
        }
    }

    public long stepCount() { return t; }

    public void setStepCount(long steps) {
        if (steps < 0) throw new IllegalArgumentException("AdamW step count must be >= 0, got " + steps);
        t = steps;
    }

    /** exp_avg of param i (registry order); a live view, for checkpoints. */
    public float[] firstMoment(int i) { return m[i]; }

    /** exp_avg_sq of param i (registry order); a live view, for checkpoints. */
    public float[] secondMoment(int i) { return v[i]; }

    public List<Param> params() { return params; }
}
