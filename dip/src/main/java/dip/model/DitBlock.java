package dip.model;

import dip.layers.Attention;
import dip.layers.Buffers;
import dip.layers.Linear;
import dip.layers.ParamRegistry;
import dip.layers.RmsNorm;
import dip.layers.SwiGlu;
import dip.tornado.exec.Engine;


/**
 * One DiP backbone block (official FlattenDiTBlock, docs/model-spec.md §1): pre-norm RMSNorm, QK-normed RoPE attention and a
 * SwiGLU MLP, each gated by adaLN. x: (B·N, D) tokens; c = silu(t_emb + y_emb): (B, D), computed once by the model
 * and shared by all blocks (so the SiLU is not in here: adaLN_modulation is just Linear(D, 6D, bias)).
 * <pre>
 *   mod = adaLN_modulation.0(c)                                     (B, 6D) = [shift, scale, gate] × [msa, mlp]
 *   x1  = x  + gate_msa · attn(norm1(x)  · (1 + scale_msa) + shift_msa)
 *   x2  = x1 + gate_mlp · mlp (norm2(x1) · (1 + scale_mlp) + shift_mlp)
 * </pre>
 * Parameters under {@code <prefix>} (e.g. blocks.3), registered in the official module order: norm1.weight,
 * attn.*, norm2.weight, mlp.w1/w3/w2.weight, adaLN_modulation.0.{weight,bias}. Initialisation is the model's job.
 */
public final class DitBlock {
    /** The adaLN chunks, in torch's {@code .chunk(6, dim=-1)} order. */
    static final int SHIFT_MSA = 0, SCALE_MSA = 1, GATE_MSA = 2, SHIFT_MLP = 3, SCALE_MLP = 4, GATE_MLP = 5;
    static final int CHUNKS = 6;
    static final float NORM_EPS = 1e-6f;

    public final RmsNorm norm1, norm2;
    public final Attention attn;
    public final SwiGlu mlp;
    public final Linear adaLn;                  // adaLN_modulation.0: (6D, D) + (6D)
    private final Engine engine;
    private final int D, N, maxBatch;
    private final float[] h1, x1, h2, x2;       // (maxBatch·N, D): modulated inputs, residual stream
    private final float[] dmod;                 // (maxBatch, 6D)
    private final float[] dx1, dx, dn, dbr;     // (maxBatch·N, D): grads of x1, x, a norm output, a branch output
    private float[] mod, n1, a, n2, m;          // backward cache: layer-owned outputs of the last forward
    private int B;

    public DitBlock(Engine engine, ParamRegistry reg, String prefix, int D, int NH, int hidden, int grid, int maxBatch) {
        this(engine, reg, prefix, D, NH, hidden, grid, maxBatch, Buffers.training());
    }

    /**
     * With the buffers of {@code buf}'s mode (see {@link Buffers}). An inference model passes the same
     * {@link Buffers#repeats()} view to every block: x2 is then shared too, so block i + 1's output overwrites its input
     * x (block i's x2) — safe, since x is last read by x1 = x + g·a, and x2 is written after that.
     */
    public DitBlock(Engine engine, ParamRegistry reg, String prefix, int D, int NH, int hidden, int grid, int maxBatch, Buffers buf) {
        this.engine = engine;
        this.D = D;
        this.N = grid * grid;
        this.maxBatch = maxBatch;
        int rows = maxBatch * N;
        norm1 = new RmsNorm(engine, reg, prefix + ".norm1", D, NORM_EPS, rows, buf);
        attn = new Attention(engine, reg, prefix + ".attn", D, NH, grid, maxBatch, buf);
        norm2 = new RmsNorm(engine, reg, prefix + ".norm2", D, NORM_EPS, rows, buf);
        mlp = new SwiGlu(engine, reg, prefix + ".mlp", D, hidden, rows, buf);
        adaLn = new Linear(engine, reg, prefix + ".adaLN_modulation.0", D, CHUNKS * D, true, maxBatch, buf);
        h1 = buf.act(rows * D); x1 = buf.act(rows * D); h2 = buf.act(rows * D); x2 = buf.act(rows * D);
        dx1 = buf.grad(rows * D); dx = buf.grad(rows * D); dn = buf.grad(rows * D); dbr = buf.grad(rows * D);
        dmod = buf.grad(maxBatch * CHUNKS * D);
    }

    /** Tokens per image. */
    public int tokens() { return N; }

    /**
     * x2 (B·N, D) = block(x (B·N, D), c (B, D)); the layer-owned output, valid until the next forward.
     * x and c are not modified and must stay unchanged until backward.
     */
    public float[] forward(float[] x, float[] c, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("DitBlock: batch " + B + " > maxBatch " + maxBatch);
        this.B = B;
        int R = B * N;
        float[] md = adaLn.forward(c, B);                                               // (B, 6D)
        mod = md;
        n1 = norm1.forwardModulate(h1, x, md, R, N, CHUNKS, SHIFT_MSA, SCALE_MSA);          // h1 = modulate(norm1(x))
        float[] av = attn.forward(h1, B);
        a = av;
        engine.gateResidualForward(x1, x, av, md, R, N, D, CHUNKS, GATE_MSA);
        n2 = norm2.forwardModulate(h2, x1, md, R, N, CHUNKS, SHIFT_MLP, SCALE_MLP);         // h2 = modulate(norm2(x1))
        float[] mv = mlp.forward(h2, R);
        m = mv;
        engine.gateResidualForward(x2, x1, mv, md, R, N, D, CHUNKS, GATE_MLP);
        return x2;
    }

    /**
     * Backward of the last forward. Accumulates every parameter's grad, ACCUMULATES dL/dc into {@code dc} (B, D)
     * (the caller zeroes it once and passes it to every block, since c is shared), and returns the layer-owned
     * dL/dx (B·N, D), overwritten.
     */
    public float[] backward(float[] dx2, float[] dc) {
        int R = B * N;
        float[] md = mod;
        // The adaLN kernels write their gradients: dmod's six chunks (each written by one of the four *Mod calls),
        // dx1/dbr and dx/dbr; the norms add the residual's second contribution to dx1 and dx.
        // forward was: x2 = x1 + gate_mlp·m
        engine.gateResidualBackwardInput(dx1, dbr, dx2, md, R, N, D, CHUNKS, GATE_MLP);
        float[] mv = m;
        engine.gateResidualBackwardMod(dmod, dx2, mv, B, N, D, CHUNKS, GATE_MLP);
        // forward was: m = mlp(h2)
        float[] dh2 = mlp.backward(dbr);
        // forward was: h2 = n2·(1 + scale_mlp) + shift_mlp, n2 = norm2(x1); x1 also feeds the residual, so
        // norm2's input gradient is added to dx1
        engine.modulateBackwardMod(dmod, dh2, n2, B, N, D, CHUNKS, SHIFT_MLP, SCALE_MLP);
        norm2.backwardModulate(dx1, dn, dh2, md, N, CHUNKS, SCALE_MLP);
        // forward was: x1 = x + gate_msa·a
        engine.gateResidualBackwardInput(dx, dbr, dx1, md, R, N, D, CHUNKS, GATE_MSA);
        float[] av = a;
        engine.gateResidualBackwardMod(dmod, dx1, av, B, N, D, CHUNKS, GATE_MSA);
        // forward was: a = attn(h1)
        float[] dh1 = attn.backward(dbr);
        // forward was: h1 = n1·(1 + scale_msa) + shift_msa, n1 = norm1(x); x also feeds the residual
        engine.modulateBackwardMod(dmod, dh1, n1, B, N, D, CHUNKS, SHIFT_MSA, SCALE_MSA);
        norm1.backwardModulate(dx, dn, dh1, md, N, CHUNKS, SCALE_MSA);
        // forward was: mod = adaLN_modulation.0(c)
        float[] dcLocal = adaLn.backward(dmod);
        engine.addInPlace(dc, dcLocal, B * D);
        return dx;
    }
}
