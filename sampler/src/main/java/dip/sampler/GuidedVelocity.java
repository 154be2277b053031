package dip.sampler;

import dip.model.Denoiser;

import java.util.Arrays;

/**
 * The velocity the ODE integrates: the model's prediction, guided or not, for a whole batch, evaluated in chunks
 * that fit the model's preallocated buffers. A guided chunk is one forward of 2·b rows ordered [null; conditional]
 * (the official layout), so b ≤ maxBatch/2; an unguided step runs a plain conditional forward of up to maxBatch
 * rows (half the work of the official 2B forward). The model has no cross-sample operation, so a row's velocity
 * does not depend on the rest of the batch, up to rounding: the engine's matmul may sum in another order for
 * another row count (the Java engine switches from gemv to packed GEMM at VectorMatmul.SMALL_R rows), which moves
 * samples by ~1 ulp per step. So samples are bit-for-bit reproducible for the same seed, --batch and engine, and
 * agree to float rounding across batch sizes (tested in SamplerTest). With maxBatch = 1 a guided sample takes
 * two forwards of one row.
 */
public final class GuidedVelocity {
    private final Denoiser model;
    private final Guidance guidance;
    private final int per, nullLabel, maxBatch;
    private final float[] xin;    // (maxBatch, C, H, W) model input
    private final float[] tin;    // (maxBatch)
    private final int[] yin;      // (maxBatch)
    private final float[] vu;     // (C, H, W) unconditional velocity, only for maxBatch = 1

    public GuidedVelocity(Denoiser model, Guidance guidance) {
        this.model = model;
        this.guidance = guidance;
        var cfg = model.config();
        this.per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        this.nullLabel = cfg.numClasses();
        this.maxBatch = model.maxBatch();
        if (maxBatch < 1) throw new IllegalArgumentException("model.maxBatch() must be >= 1, got " + maxBatch);
        xin = new float[maxBatch * per];
        tin = new float[maxBatch];
        yin = new int[maxBatch];
        vu = new float[per];
    }

    public int per() { return per; }

    public Guidance guidance() { return guidance; }

    /** v(B, C, H, W) = velocity at x(B, C, H, W), time t, labels y(B). Overwrites v. */
    public void eval(float[] v, float[] x, float t, int[] y, int B) { evalGuidedBy(v, x, t, t, y, B); }

    /** As {@link #eval}, but whether to guide is decided at tGuide (Heun's corrector uses the step's start). */
    public void evalGuidedBy(float[] v, float[] x, float t, float tGuide, int[] y, int B) {
        boolean guided = guidance.active(tGuide);
        if (!guided) {
            for (int b0 = 0; b0 < B; b0 += maxBatch) conditional(v, x, t, y, b0, Math.min(maxBatch, B - b0));
        } else if (maxBatch >= 2) {
            int chunk = maxBatch / 2;
            for (int b0 = 0; b0 < B; b0 += chunk) guidedChunk(v, x, t, y, b0, Math.min(chunk, B - b0));
        } else {
            for (int b = 0; b < B; b++) guidedOneByOne(v, x, t, y, b);
        }
    }

    private void conditional(float[] v, float[] x, float t, int[] y, int b0, int n) {
        System.arraycopy(x, b0 * per, xin, 0, n * per);
        Arrays.fill(tin, 0, n, t);
        System.arraycopy(y, b0, yin, 0, n);
        float[] out = model.forward(xin, tin, yin, n);
        System.arraycopy(out, 0, v, b0 * per, n * per);
    }

    private void guidedChunk(float[] v, float[] x, float t, int[] y, int b0, int n) {
        System.arraycopy(x, b0 * per, xin, 0, n * per);          // rows [0, n): null class
        System.arraycopy(x, b0 * per, xin, n * per, n * per);    // rows [n, 2n): conditional
        Arrays.fill(tin, 0, 2 * n, t);
        Arrays.fill(yin, 0, n, nullLabel);
        System.arraycopy(y, b0, yin, n, n);
        float[] out = model.forward(xin, tin, yin, 2 * n);
        int cOff = n * per, vOff = b0 * per;
        for (int j = 0; j < n * per; j++) v[vOff + j] = guidance.combine(out[j], out[cOff + j]);
    }

    private void guidedOneByOne(float[] v, float[] x, float t, int[] y, int b) {
        System.arraycopy(x, b * per, xin, 0, per);
        tin[0] = t;
        yin[0] = nullLabel;
        System.arraycopy(model.forward(xin, tin, yin, 1), 0, vu, 0, per);
        yin[0] = y[b];
        float[] vc = model.forward(xin, tin, yin, 1);
        for (int j = 0; j < per; j++) v[b * per + j] = guidance.combine(vu[j], vc[j]);
    }
}
