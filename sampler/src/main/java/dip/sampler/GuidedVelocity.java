package dip.sampler;

import dip.model.Denoiser;
import dip.tornado.exec.Engine;


/**
 * The velocity the ODE integrates: the model's prediction, guided or not, for a whole batch, as kernel calls on
 * the model's engine, evaluated in chunks that fit the model's preallocated buffers. With guidance (w ≠ 1) every
 * step runs one forward of 2·b rows ordered [null; conditional] (the official layout, so b ≤ maxBatch/2) and
 * combines v = u + w_k·(c − u), where w_k is w inside the guidance interval and 1 outside it, as the official
 * sampler does; so every step makes the same kernel calls and a device engine replays one recording for the whole
 * run. Without guidance (w = 1) a step is a plain conditional forward of up to maxBatch rows. The model has no
 * cross-sample operation, so a row's velocity does not depend on the rest of the batch, up to rounding (the
 * engine's matmul may sum in another order for another row count). With maxBatch = 1 a guided sample takes two
 * forwards of one row.
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

    /** True when steps run the guided [null; conditional] forward (w ≠ 1). */
    public boolean guided() { return guidance.scale() != 1f; }

    /** The guidance weight of a step that starts at t: w inside the interval, 1 outside. */
    public float weightAt(float t) { return guidance.active(t) ? guidance.scale() : 1f; }

    /**
     * v(B, C, H, W) = velocity at x(B, C, H, W) for labels y(B), at time s[tIdx], guided with weight s[wIdx]
     * (unused without guidance). Kernel calls only: s is an array so a replayed pass reads new numbers each step.
     */
    public void eval(float[] v, float[] x, float[] s, int tIdx, int wIdx, int[] y, int B) {
        Engine e = model.engine();
        if (!guided()) {
            for (int b0 = 0; b0 < B; b0 += maxBatch) {
                int n = Math.min(maxBatch, B - b0);
                e.copySlice(xin, 0, x, b0 * per, n * per);
                e.fillFrom(tin, s, tIdx, n);
                e.copySliceInt(yin, 0, y, b0, n);
                float[] out = model.forward(xin, tin, yin, n);
                e.copySlice(v, b0 * per, out, 0, n * per);
            }
        } else if (maxBatch >= 2) {
            int chunk = maxBatch / 2;
            for (int b0 = 0; b0 < B; b0 += chunk) {
                int n = Math.min(chunk, B - b0);
                e.copySlice(xin, 0, x, b0 * per, n * per);          // rows [0, n): null class
                e.copySlice(xin, n * per, x, b0 * per, n * per);    // rows [n, 2n): conditional
                e.fillFrom(tin, s, tIdx, 2 * n);
                e.fillInt(yin, nullLabel, n);
                e.copySliceInt(yin, n, y, b0, n);
                float[] out = model.forward(xin, tin, yin, 2 * n);
                e.guidanceCombine(v, b0 * per, out, n * per, s, wIdx, n * per);
            }
        } else {
            for (int b = 0; b < B; b++) {
                e.copySlice(xin, 0, x, b * per, per);
                e.fillFrom(tin, s, tIdx, 1);
                e.fillInt(yin, nullLabel, 1);
                e.copySlice(vu, 0, model.forward(xin, tin, yin, 1), 0, per);
                e.copySliceInt(yin, 0, y, b, 1);
                e.guidanceCombineSplit(v, b * per, vu, model.forward(xin, tin, yin, 1), s, wIdx, per);
            }
        }
    }
}
