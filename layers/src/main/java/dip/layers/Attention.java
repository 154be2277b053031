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
 *   q -q_norm-> qn -rope-> qr;  k -k_norm-> kn -rope-> kr          (split, norms and rotations: one kernel)
 *   o = softmax(qr·krᵀ·scale) v (B, NH, N, HS) -merge-> (B·N, D) -proj-> y (B·N, D)
 * </pre>
 */
public final class Attention {
    static final float QK_NORM_EPS = 1e-6f;

    public final Linear qkv, proj;
    public final Param qNormWeight, kNormWeight; // q_norm.weight, k_norm.weight: (HS), ones at start; one array
    private final Engine engine;
    private final int D, NH, HS, N, maxBatch;
    private final float scale;
    private final float[] cos, sin;            // (N, HS/2) RoPE tables, built once
    private final float[] qr, kr, v;           // (B·NH·N, HS) normed and rotated q, k; v split from the qkv output
    private final float[] rstd;                // (2·B·NH·N) backward cache: 1/rms of each q row, then of each k row
    private final float[] att;                 // (B·NH·N, N) softmax probabilities (backward cache)
    private final float[] o;                   // (B·NH·N, HS) attention output per head
    private final float[] merged;              // (B·N, D) heads merged, the proj input
    private final float[] dO, dqr, dkr, dv;    // (B·NH·N, HS) gradients
    private final float[] dn;                  // (2·B·NH·N, HS) gradients at the q and k norms' outputs
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
        qNormWeight = reg.add(prefix + ".q_norm.weight", HS);
        kNormWeight = reg.add(prefix + ".k_norm.weight", HS);
        qNormWeight.fill(1f);                                // torch: RMSNorm's nn.Parameter(torch.ones(HS))
        kNormWeight.fill(1f);
        if (qNormWeight.bank() != kNormWeight.bank()) throw new IllegalStateException("q_norm and k_norm in different banks");
        proj = new Linear(engine, reg, prefix + ".proj", D, D, true, rows, buf);
        cos = buf.constant(N * HS / 2);
        sin = buf.constant(N * HS / 2);
        int hsz = HS;
        if (buf.forward()) engine.ropeTables(cos, sin, N, grid, hsz);
        qr = buf.act(headRows * HS); kr = buf.act(headRows * HS); v = buf.act(headRows * HS);
        o = buf.act(headRows * HS); rstd = buf.act(2 * headRows);
        att = buf.act(headRows * N); dpre = buf.grad(headRows * N);
        merged = buf.act(rows * D);
        dO = buf.grad(headRows * HS); dqr = buf.grad(headRows * HS); dkr = buf.grad(headRows * HS);
        dv = buf.grad(headRows * HS); dn = buf.grad(2 * headRows * HS);
        dqkv = buf.grad(rows * 3 * D);
    }

    public int tokens() { return N; }

    /** y (B·N, D) = Attention(x (B·N, D)); the layer-owned output (proj's), valid until the next forward. */
    public float[] forward(float[] x, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("attention: batch " + B + " > maxBatch " + maxBatch);
        this.B = B;
        int headRows = B * NH * N;
        float[] qkvY = qkv.forward(x, B * N);                                                // (B·N, 3D)
        // split q, k, v; per-head RMSNorm of q and k, then RoPE: one kernel (AttentionKernels.qkNormRopeForward)
        engine.qkNormRopeForward(qr, kr, v, rstd, qkvY, qNormWeight.array(), qNormWeight.offset(), kNormWeight.offset(),
                cos, sin, headRows, N, NH, HS, QK_NORM_EPS);
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
        // forward was: qr = rope(q_norm(q)), kr = rope(k_norm(k)), q, k, v = split(qkv output)
        float[] qkvY = qkv.output();
        int qOff = qNormWeight.offset(), kOff = kNormWeight.offset();
        engine.qkNormRopeBackward(dqkv, dn, dqr, dkr, dv, qkvY, qNormWeight.array(), qOff, kOff, rstd, cos, sin,
                headRows, N, NH, HS);
        engine.qkNormWeightBackward(qNormWeight.gradArray(), qOff, kOff, dn, qkvY, rstd, headRows, N, NH, HS);
        // forward was: qkv output = qkv(x)
        return qkv.backward(dqkv);
    }
}
