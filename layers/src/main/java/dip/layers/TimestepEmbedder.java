package dip.layers;

import dip.tornado.exec.Engine;

/**
 * Embeds the diffusion time t ∈ [0, 1] (used directly, no ×1000) into D dims (docs/model-spec.md §1; DiT TimestepEmbedder):
 * 256 sinusoidal features [cos(t·f_i), sin(t·f_i)], f_i = exp(−ln(10)·i/128), then
 * {@code <name>.mlp.0} Linear(256, D) → SiLU → {@code <name>.mlp.2} Linear(D, D). t: (B); output (B, D).
 * t itself gets no gradient: backward only accumulates the two Linears' parameter grads.
 */
public final class TimestepEmbedder {
    /** Number of sinusoidal features (official frequency_embedding_size). */
    public static final int FREQ_DIM = 256;
    /** The sinusoids' longest period: 10 because t lives in [0, 1] (DiT used 10000 with t in [0, 1000)). */
    public static final float MAX_PERIOD = 10f;

    private final Engine engine;
    private final Linear mlp0, mlp2;
    private final Silu act;
    private final int maxBatch;
    private final float[] freq;       // (maxBatch, 256): the sinusoidal features, mlp0's cached input

    public TimestepEmbedder(Engine engine, ParamRegistry reg, String name, int D, int maxBatch) {
        this(engine, reg, name, D, maxBatch, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}). */
    public TimestepEmbedder(Engine engine, ParamRegistry reg, String name, int D, int maxBatch, Buffers buf) {
        this.engine = engine;
        this.maxBatch = maxBatch;
        mlp0 = new Linear(engine, reg, name + ".mlp.0", FREQ_DIM, D, true, maxBatch, buf);
        act = new Silu(engine, maxBatch * D, buf);
        mlp2 = new Linear(engine, reg, name + ".mlp.2", D, D, true, maxBatch, buf);
        freq = buf.act(maxBatch * FREQ_DIM);
    }

    /** Returns t_emb (B, D), owned by mlp.2 and valid until the next forward. */
    public float[] forward(float[] t, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("TimestepEmbedder: batch " + B + " > maxBatch " + maxBatch);
        engine.timestepFeatures(freq, t, B, FREQ_DIM, MAX_PERIOD);
        float[] h = mlp0.forward(freq, B);                                     // (B, D)
        return mlp2.forward(act.forward(h, B * mlp0.out()), B);               // (B, D)
    }

    /** Accumulates the grads of mlp.0 and mlp.2 from dL/dt_emb (B, D). */
    public void backward(float[] dout) {
        // forward was: out = mlp2(silu(mlp0(freq)))
        mlp0.backward(act.backward(mlp2.backward(dout)));
    }
}
