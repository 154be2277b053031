package dip.trainer;

import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.tornado.kernels.OptimizerKernels;

import java.util.List;

/**
 * Exponential moving average of the weights, in fp32, updated after every optimiser step (PixNerd's EMA callback):
 * ema ← decay·ema + (1 − decay)·θ. It starts as a copy of the initial weights. Sampling uses it:
 * {@link #swap()} exchanges the EMA and the live weights in place (exact, and its own inverse).
 */
public final class Ema {
    private final List<Param> params;
    private final float decay;
    private final float[][] shadow;    // one per Param, registry order

    public Ema(ParamRegistry reg, double decay) {
        if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1], got " + decay);
        this.params = reg.all();
        this.decay = (float) decay;
        shadow = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) shadow[i] = params.get(i).data().clone();
    }

    /** ema ← decay·ema + (1 − decay)·θ, as torch's ema.mul_(decay).add_(θ, alpha=1 − decay), on the host. */
    public void update() {
        for (int i = 0; i < params.size(); i++) {
            float[] e = shadow[i];
            OptimizerKernels.ema(e, params.get(i).data(), AdamW.OPEN, decay, 1f - decay, 0, e.length);
        }
    }

    /** Every EMA array, registry order (for the engine: download before reading, upload after changing). */
    public Object[] arrays() { return shadow.clone(); }

    /** Exchanges the EMA weights and the model's weights. Call twice to restore. */
    public void swap() {
        for (int i = 0; i < params.size(); i++) {
            float[] e = shadow[i], p = params.get(i).data();
            for (int j = 0; j < e.length; j++) { float tmp = e[j]; e[j] = p[j]; p[j] = tmp; }
        }
    }

    /** The EMA of param i (registry order); a live view, for checkpoints. */
    public float[] weights(int i) { return shadow[i]; }

    public float decay() { return decay; }

    public List<Param> params() { return params; }
}
