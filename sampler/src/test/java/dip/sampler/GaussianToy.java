package dip.sampler;

import dip.layers.ParamRegistry;
import dip.model.Denoiser;
import dip.model.DipConfig;
import dip.model.HeadType;

/**
 * A Denoiser whose velocity is the exact one for Gaussian data: every pixel of class y is N(μ_y, σ²) (the null
 * class has μ = 0). With x_t = t·x + (1 − t)·ε the flow-matching velocity E[x − ε | x_t] is
 * v = μ + a_t·(x_t − t·μ), a_t = (t·σ² − (1 − t)) / (t²σ² + (1 − t)²), and its ODE maps ε at t = 0 to
 * μ + σ·ε at t = 1 exactly. The defaults keep samples inside [−1, 1], where the sampler's final clamp is a no-op. Counts calls, rows and null-class rows, so tests can see what the sampler asked for.
 */
final class GaussianToy implements Denoiser {
    static final DipConfig CFG = new DipConfig(4, 2, 1, 8, 1, 2, 3, 4, HeadType.DIP, false);   // 1×4×4, 3 classes
    static final int PER = 16;

    final float[] mu;        // (numClasses) class means
    final float sigma;
    private final int maxBatch;
    private final float[] v;
    int calls, rows, nullRows, guidedCalls, largestBatch;

    GaussianToy(float[] mu, float sigma, int maxBatch) {
        this.mu = mu;
        this.sigma = sigma;
        this.maxBatch = maxBatch;
        this.v = new float[maxBatch * PER];
    }

    GaussianToy(int maxBatch) { this(new float[]{0.3f, -0.3f, 0.2f}, 0.15f, maxBatch); }

    /** The exact sample the ODE reaches from noise eps for label y. */
    float exact(float eps, int y) { return mean(y) + sigma * eps; }

    float mean(int y) { return y == CFG.numClasses() ? 0f : mu[y]; }

    @Override public DipConfig config() { return CFG; }

    @Override public ParamRegistry params() { return new ParamRegistry(); }

    @Override public int maxBatch() { return maxBatch; }

    @Override
    public float[] forward(float[] x, float[] t, int[] y, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("batch " + B + " > maxBatch " + maxBatch);
        calls++;
        rows += B;
        largestBatch = Math.max(largestBatch, B);
        boolean sawNull = false;
        for (int b = 0; b < B; b++) {
            if (y[b] == CFG.numClasses()) { nullRows++; sawNull = true; }
            double tb = t[b], m = mean(y[b]), s2 = sigma * sigma;
            double a = (tb * s2 - (1 - tb)) / (tb * tb * s2 + (1 - tb) * (1 - tb));
            for (int j = b * PER; j < (b + 1) * PER; j++) v[j] = (float) (m + a * (x[j] - tb * m));
        }
        if (sawNull) guidedCalls++;
        return v;
    }

    @Override
    public void backward(float[] dv) { throw new UnsupportedOperationException("toy model has no backward"); }
}
