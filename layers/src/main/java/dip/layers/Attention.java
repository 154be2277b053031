package dip.layers;

import dip.tornado.exec.Engine;


/**
 * Multi-head self-attention of a DiP block (PixNerd's RAttention): qkv Linear (no bias), per-head QK-RMSNorm
 * (eps 1e-6) BEFORE 2D RoPE, softmax attention with scale 1/sqrt(HS) and no mask, proj Linear (bias).
 * Parameters under {@code <prefix>} (e.g. blocks.0.attn): qkv.weight (3D, D), q_norm.weight (HS),
 * k_norm.weight (HS), proj.weight (D, D), proj.bias (D). Not here: the block's norm1/adaLN/gate.
 *
 * <pre>
 *   x (B·N, D) -qkv-> (B·N, 3D) -split-> q, k, v (B, NH, N, HS)
 *   q -q_norm-> qn -rope-> qr;  k -k_norm-> kn -rope-> kr
 *   o = softmax(qr·krᵀ·scale) v (B, NH, N, HS) -merge-> (B·N, D) -proj-> y (B·N, D)
 * </pre>
 */
public final class Attention {
    static final float QK_NORM_EPS = 1e-6f;

    public final Linear qkv, proj;
    public final RmsNorm qNorm, kNorm;
    private final Engine engine;
    private final int D, NH, HS, N, maxBatch;
    private final float scale;
    private final float[] cos, sin;            // (N, HS/2) RoPE tables, built once
    private final float[] q, k, v;             // (B·NH·N, HS) heads split from the qkv output
    private final float[] qr, kr;              // (B·NH·N, HS) normed and rotated q, k
    private final float[] att;                 // (B·NH·N, N) softmax probabilities (backward cache)
    private final float[] o;                   // (B·NH·N, HS) attention output per head
    private final float[] merged;              // (B·N, D) heads merged, the proj input
    private final float[] dO, dqr, dkr, dv;    // (B·NH·N, HS) gradients
    private final float[] dqn, dkn;            // (B·NH·N, HS) gradients before RoPE
    private final float[] dpre;                // (B·NH·N, N) scratch: dL/d(scores)
    private final float[] dqkv;                // (B·N, 3D)
    private int B;

    public Attention(Engine engine, ParamRegistry reg, String prefix, int D, int NH, int grid, int maxBatch) {
        this(engine, reg, prefix, D, NH, grid, maxBatch, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}). */
    public Attention(Engine engine, ParamRegistry reg, String prefix, int D, int NH, int grid, int maxBatch, Buffers buf) {
        if (D % NH != 0) throw new IllegalArgumentException("attention " + prefix + ": hidden " + D + " is not divisible by heads " + NH);
        int hs = D / NH;
        if (hs % 4 != 0) throw new IllegalArgumentException("attention " + prefix + ": head size " + hs + " must be a multiple of 4 for 2D RoPE");
        this.engine = engine;
        this.D = D;
        this.NH = NH;
        this.HS = hs;
        this.N = grid * grid;
        this.maxBatch = maxBatch;
        this.scale = (float) (1.0 / Math.sqrt(HS));
        int rows = maxBatch * N, headRows = maxBatch * NH * N;
        // Registration order = the official module order: qkv, q_norm, k_norm, proj.
        qkv = new Linear(engine, reg, prefix + ".qkv", D, 3 * D, false, rows, buf);
        qNorm = new RmsNorm(engine, reg, prefix + ".q_norm", HS, QK_NORM_EPS, headRows, buf);
        kNorm = new RmsNorm(engine, reg, prefix + ".k_norm", HS, QK_NORM_EPS, headRows, buf);
        proj = new Linear(engine, reg, prefix + ".proj", D, D, true, rows, buf);
        cos = buf.constant(N * HS / 2);
        sin = buf.constant(N * HS / 2);
        int hsz = HS;
        if (buf.forward()) engine.ropeTables(cos, sin, N, grid, hsz);
        q = buf.act(headRows * HS); k = buf.act(headRows * HS); v = buf.act(headRows * HS);
        qr = buf.act(headRows * HS); kr = buf.act(headRows * HS); o = buf.act(headRows * HS);
        att = buf.act(headRows * N); dpre = buf.grad(headRows * N);
        merged = buf.act(rows * D);
        dO = buf.grad(headRows * HS); dqr = buf.grad(headRows * HS); dkr = buf.grad(headRows * HS);
        dv = buf.grad(headRows * HS); dqn = buf.grad(headRows * HS); dkn = buf.grad(headRows * HS);
        dqkv = buf.grad(rows * 3 * D);
    }

    public int tokens() { return N; }

    /** y (B·N, D) = Attention(x (B·N, D)); the layer-owned output (proj's), valid until the next forward. */
    public float[] forward(float[] x, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("attention: batch " + B + " > maxBatch " + maxBatch);
        this.B = B;
        int headRows = B * NH * N;
        float[] qkvOut = qkv.forward(x, B * N);                                              // (B·N, 3D)
        engine.qkvSplit(q, k, v, qkvOut, headRows, N, NH, HS);
        float[] qn = qNorm.forward(q, headRows);                                             // per-head RMSNorm
        float[] kn = kNorm.forward(k, headRows);
        engine.ropeForward(qr, qn, cos, sin, headRows, N, HS);
        engine.ropeForward(kr, kn, cos, sin, headRows, N, HS);
        engine.attentionForward(o, att, qr, kr, v, B * NH, N, HS, scale);
        engine.headsMerge(merged, o, headRows, N, NH, HS);
        return proj.forward(merged, B * N);                                                  // (B·N, D)
    }

    /** Accumulates every parameter's grad; returns the layer-owned dx (B·N, D) (qkv's), overwritten. */
    public float[] backward(float[] dy) {
        int headRows = B * NH * N;
        // forward was: y = proj(merged)
        float[] dmerged = proj.backward(dy);
        // forward was: merged = headsMerge(o)
        engine.headsMergeBackward(dO, dmerged, headRows, N, NH, HS);
        // forward was: o = softmax(qr·krᵀ·scale) v
        engine.attentionBackward(dqr, dkr, dv, dpre, dO, qr, kr, v, att, B * NH, N, HS, scale);
        // forward was: qr = rope(q_norm(q)), kr = rope(k_norm(k))
        engine.ropeBackward(dqn, dqr, cos, sin, headRows, N, HS);
        engine.ropeBackward(dkn, dkr, cos, sin, headRows, N, HS);
        float[] dq = qNorm.backward(dqn);
        float[] dk = kNorm.backward(dkn);
        // forward was: q, k, v = split(qkv(x))
        engine.qkvSplitBackward(dqkv, dq, dk, dv, headRows, N, NH, HS);
        return qkv.backward(dqkv);
    }
}
