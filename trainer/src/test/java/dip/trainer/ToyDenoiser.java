package dip.trainer;

import dip.layers.Init;
import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.model.Denoiser;
import dip.model.DipConfig;
import dip.model.HeadType;
import dip.util.Rng;

/**
 * A test stand-in for Dip: a per-pixel linear model v[b,c,i] = a[c,i]·x[b,c,i] + w[c]·t[b] + emb[y[b],c] + bias[c,i],
 * with its backward written by hand. Small enough that a training step takes microseconds, but every trainer
 * feature (labels, null class, t, AdamW over several Params, EMA, checkpoints) touches its parameters.
 */
public final class ToyDenoiser implements Denoiser {
    private final DipConfig cfg;
    private final ParamRegistry reg = new ParamRegistry();
    private final Param a, w, emb, bias;       // (C, HW), (C), (classes+1, C), (C, HW)
    private final int maxBatch, C, HW;
    private final float[] out;                 // (maxBatch, C, H, W)
    private float[] x, t;                      // backward cache
    private int[] y;
    private int B;
    /** When set, forward returns NaN everywhere (for the non-finite-loss test). */
    public boolean poison;
    /** Number of forward calls so far, and a hook run after each (tests use it to inject faults mid-run). */
    public int forwards;
    public java.util.function.IntConsumer afterForward = n -> { };

    public ToyDenoiser(int imageSize, int channels, int numClasses, int maxBatch, Rng init) {
        cfg = new DipConfig(imageSize, imageSize, channels, 8, 1, 2, numClasses, 4, HeadType.DIT_ONLY, false);
        this.maxBatch = maxBatch;
        C = channels;
        HW = imageSize * imageSize;
        a = reg.add("toy.a", C, HW);
        w = reg.add("toy.w", C);
        emb = reg.add("toy.emb", numClasses + 1, C);
        bias = reg.add("toy.bias", C, HW);
        for (Param p : reg.all()) Init.normal(p, 0.1f, init);
        out = new float[maxBatch * C * HW];
    }

    static ToyDenoiser of(dip.data.Dataset d, int maxBatch, long seed) {
        return new ToyDenoiser(d.imageSize(), d.channels(), d.numClasses(), maxBatch, TrainState.initRng(seed));
    }

    @Override public DipConfig config() { return cfg; }

    @Override public ParamRegistry params() { return reg; }

    @Override public int maxBatch() { return maxBatch; }

    @Override
    public ToyDenoiser forSampling(int maxBatch) {
        return new ToyDenoiser(cfg.imageSize(), C, cfg.numClasses(), maxBatch, new Rng(0));
    }

    @Override
    public float[] forward(float[] x, float[] t, int[] y, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("B " + B + " > maxBatch " + maxBatch);
        this.x = x; this.t = t; this.y = y; this.B = B;
        for (int b = 0; b < B; b++) {
            for (int c = 0; c < C; c++) {
                float add = w.get(c) * t[b] + emb.get(y[b] * C + c);
                for (int i = 0; i < HW; i++) {
                    int j = (b * C + c) * HW + i;
                    out[j] = poison ? Float.NaN : a.get(c * HW + i) * x[j] + add + bias.get(c * HW + i);
                }
            }
        }
        afterForward.accept(++forwards);
        return out;
    }

    @Override
    public void backward(float[] dv) {
        float[] g = reg.grad(ParamRegistry.WEIGHTS);                   // toy.bias is in the other bank
        float[] gb = reg.grad(ParamRegistry.BIASES);
        for (int b = 0; b < B; b++) {
            for (int c = 0; c < C; c++) {
                float s = 0;
                for (int i = 0; i < HW; i++) {
                    int j = (b * C + c) * HW + i;
                    g[a.offset() + c * HW + i] += dv[j] * x[j];       // forward: a·x
                    gb[bias.offset() + c * HW + i] += dv[j];           // forward: + bias
                    s += dv[j];
                }
                g[w.offset() + c] += s * t[b];                        // forward: + w·t
                g[emb.offset() + y[b] * C + c] += s;                  // forward: + emb[y]
            }
        }
    }
}
