package dip.model;

import dip.layers.Buffers;
import dip.layers.LayerNormNoAffine;
import dip.layers.Linear;
import dip.layers.ParamRegistry;
import dip.tornado.exec.Engine;


/**
 * The standard DiT final layer, used only by the DiT-only variant (HeadType.DIT_ONLY; the DiP model itself has no
 * final layer, its Patch Detailer Head takes the tokens). Official PixNerd FinalLayer:
 * <pre>
 *   shift, scale = adaLN_modulation.0(c).chunk(2)          (B, 2D), c = silu(t_emb + y_emb): (B, D)
 *   out = linear(LayerNorm(x) · (1 + scale) + shift)      x: (B·N, D) -> out: (B·N, C·P²)
 * </pre>
 * LayerNorm without affine, eps 1e-6. Parameters {@code <prefix>.linear.{weight,bias}} (C·P², D), (C·P²) and
 * {@code <prefix>.adaLN_modulation.0.{weight,bias}} (2D, D), (2D), registered in that (official) order.
 */
public final class FinalLayer {
    static final int SHIFT = 0, SCALE = 1, CHUNKS = 2;
    static final float NORM_EPS = 1e-6f;

    public final Linear linear, adaLn;
    private final LayerNormNoAffine norm;
    private final Engine engine;
    private final int D, N, maxBatch;
    private final float[] h;                  // (maxBatch·N, D): modulated, the linear's input
    private final float[] dn;                 // (maxBatch·N, D)
    private final float[] dmod;               // (maxBatch, 2D)
    private float[] mod, nrm;                 // backward cache: layer-owned outputs of the last forward
    private int B;

    public FinalLayer(Engine engine, ParamRegistry reg, String prefix, int D, int outDim, int tokens, int maxBatch) {
        this(engine, reg, prefix, D, outDim, tokens, maxBatch, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}). */
    public FinalLayer(Engine engine, ParamRegistry reg, String prefix, int D, int outDim, int tokens, int maxBatch, Buffers buf) {
        this.engine = engine;
        this.D = D;
        this.N = tokens;
        this.maxBatch = maxBatch;
        int rows = maxBatch * tokens;
        norm = new LayerNormNoAffine(engine, D, NORM_EPS, rows, buf);
        linear = new Linear(engine, reg, prefix + ".linear", D, outDim, true, rows, buf);
        adaLn = new Linear(engine, reg, prefix + ".adaLN_modulation.0", D, CHUNKS * D, true, maxBatch, buf);
        h = buf.act(rows * D);
        dn = buf.grad(rows * D);
        dmod = buf.grad(maxBatch * CHUNKS * D);
    }

    /** out (B·N, C·P²) from tokens x (B·N, D) and conditioning c (B, D); owned by the linear. */
    public float[] forward(float[] x, float[] c, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("FinalLayer: batch " + B + " > maxBatch " + maxBatch);
        this.B = B;
        int R = B * N;
        float[] md = adaLn.forward(c, B);                                                // (B, 2D)
        float[] nv = norm.forward(x, R);                                                 // (B·N, D)
        mod = md;
        nrm = nv;
        engine.modulateForward(h, nv, md, R, N, D, CHUNKS, SHIFT, SCALE);
        return linear.forward(h, R);
    }

    /** Accumulates param grads and dL/dc into {@code dc} (B, D); returns the layer-owned dL/dx (B·N, D). */
    public float[] backward(float[] dout, float[] dc) {
        int R = B * N;
        float[] md = mod, nv = nrm;
        // forward was: out = linear(h)
        float[] dh = linear.backward(dout);
        // forward was: h = nrm·(1 + scale) + shift
        engine.modulateBackwardInput(dn, dh, md, R, N, D, CHUNKS, SCALE);
        engine.modulateBackwardMod(dmod, dh, nv, B, N, D, CHUNKS, SHIFT, SCALE);
        // forward was: nrm = LayerNorm(x)
        float[] dx = norm.backward(dn);
        // forward was: mod = adaLN_modulation.0(c)
        float[] dcLocal = adaLn.backward(dmod);
        engine.addInPlace(dc, dcLocal, B * D);
        return dx;
    }
}
