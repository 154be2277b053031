package dip.trainer;

import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.tornado.kernels.OptimizerKernels;

import java.util.List;

/**
 * Exponential moving average of the weights, in fp32, updated after every optimiser step (PixNerd's EMA callback):
 * ema ← decay·ema + (1 − decay)·θ. It starts as a copy of the initial weights, flat arrays laid out as the
 * registry's banks (parameter p's average at p.offset() of bank p.bank()). Sampling uses it: {@link #swap()}
 * exchanges the EMA and the live weights in place (exact, and its own inverse).
 */
public final class Ema {
    private final ParamRegistry reg;
    private final float decay;
    private final float[][] shadow;     // [bank][scalar]

    public Ema(ParamRegistry reg, double decay) {
        if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1], got " + decay);
        this.reg = reg;
        this.decay = (float) decay;
        shadow = new float[ParamRegistry.BANKS][];
        for (int b = 0; b < ParamRegistry.BANKS; b++) shadow[b] = reg.data(b).clone();
    }

    /** ema ← decay·ema + (1 − decay)·θ, as torch's ema.mul_(decay).add_(θ, alpha=1 − decay), on the host. */
    public void update() {
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            OptimizerKernels.ema(shadow[b], reg.data(b), AdamW.OPEN, decay, 1f - decay, 0, shadow[b].length);
        }
    }

    /** The EMA arrays, bank by bank (for the engine: download before reading, upload after changing). */
    public Object[] arrays() { return shadow.clone(); }

    /** Exchanges the EMA weights and the model's weights. Call twice to restore. */
    public void swap() {
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            float[] e = shadow[b], p = reg.data(b);
            for (int j = 0; j < e.length; j++) { float tmp = e[j]; e[j] = p[j]; p[j] = tmp; }
        }
    }

    /** The EMA of every parameter of a bank, laid out as the bank; live, for checkpoints and the optimiser kernel. */
    public float[] shadow(int bank) { return shadow[bank]; }

    /** A copy of the EMA of parameter i (registry order). */
    public float[] weights(int i) { Param p = reg.all().get(i); return p.slice(shadow[p.bank()]); }

    public float decay() { return decay; }

    public List<Param> params() { return reg.all(); }
}
