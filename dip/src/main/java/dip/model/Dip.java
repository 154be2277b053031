package dip.model;

import dip.layers.Buffers;
import dip.layers.Init;
import dip.layers.LabelEmbedder;
import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.layers.PatchEmbed;
import dip.layers.Silu;
import dip.layers.TimestepEmbedder;
import dip.layers.Unpatchify;
import dip.tornado.exec.Engine;
import dip.util.Rng;


/**
 * DiP = a DiT backbone on large P×P patches + the Patch Detailer Head (official dip.py), or, with
 * {@link HeadType#DIT_ONLY}, the same backbone with a standard DiT final layer (the paper's baselines).
 * docs/model-spec.md §7:
 * <pre>
 *   tok = unfold(x_t, P)                      (B·N, C·P²)     also read as B·N patch images C×P×P
 *   te  = t_embedder(t)                       (B, D)
 *   c   = silu(te + y_embedder(y))            (B, D)          shared by every block
 *   s   = s_embedder.proj(tok)                (B·N, D)
 *   s   = blocks[i](s, c)                     (B·N, D)
 *   DIP:      g = silu(te[b] + s);  v = fold(local_decoder(tok, g))
 *   DIT_ONLY: v = fold(final_layer(s, c))
 * </pre>
 * Buffers are sized for {@code maxBatch} images at construction; forward and backward allocate nothing. Which buffers
 * exist is chosen then ({@link Buffers}): {@link #create} builds a model that trains (every activation, gradient and
 * backward cache), {@link #forInference} one that only runs forward (no gradient buffers, one set of block
 * activations shared by all blocks, the head's stage buffers shared: the weights plus about one block and one head of
 * activations), and {@link #shapes} one that only registers its parameters (no buffers at all: for counting
 * parameters and checking checkpoint shapes; its parameter arrays are allocated only if read).
 */
public final class Dip implements Denoiser {
    private final DipConfig cfg;
    private final Engine engine;
    private final ParamRegistry reg = new ParamRegistry();
    private final int maxBatch, N, D;
    private final Buffers.Mode mode;

    // ---- layers, registered in the official state_dict order
    final PatchEmbed sEmbedder;                 // s_embedder.proj
    final TimestepEmbedder tEmbedder;           // t_embedder.mlp.{0,2}
    final LabelEmbedder yEmbedder;              // y_embedder.embedding_table
    final DitBlock[] blocks;                    // blocks.{i}.*
    final PatchDetailerHead head;               // local_decoder.*   (DIP only)
    final FinalLayer finalLayer;                // final_layer.*     (DIT_ONLY only)
    private final Unpatchify fold;
    private final Silu cSilu, gSilu;

    // ---- activations and grads
    private final float[] cPre;                 // (B, D)   te + ye
    private final float[] gPre;                 // (B·N, D) s + te[b]           (DIP)
    private final float[] dc, dte;              // (B, D)
    private float[] te, c;                      // (B, D) layer-owned: t_embedder output, silu(cPre)
    private int B;

    /** A model that trains: forward and backward for up to maxBatch images. */
    public static Dip create(Engine engine, DipConfig cfg, int maxBatch) {
        return new Dip(engine, cfg, maxBatch);
    }

    /** A model that runs forward only (sampling), for up to maxBatch images (a CFG step of B images needs 2B). */
    public static Dip forInference(Engine engine, DipConfig cfg, int maxBatch) {
        return new Dip(engine, cfg, maxBatch, Buffers.inference());
    }

    /** The parameters only, no buffers: counts, names and shapes. forward and backward throw. */
    public static Dip shapes(DipConfig cfg) {
        return new Dip(null, cfg, 1, Buffers.shapes());
    }

    public Dip(Engine engine, DipConfig cfg, int maxBatch) {
        this(engine, cfg, maxBatch, Buffers.training());
    }

    public Dip(Engine engine, DipConfig cfg, int maxBatch, Buffers buf) {
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
        this.mode = buf.mode();
        this.cfg = cfg;
        this.engine = engine;
        this.maxBatch = maxBatch;
        this.N = cfg.tokens();
        this.D = cfg.hidden();
        int S = cfg.imageSize(), C = cfg.channels(), P = cfg.patchSize();
        sEmbedder = new PatchEmbed(engine, reg, "s_embedder", C, S, S, P, D, maxBatch, buf);
        tEmbedder = new TimestepEmbedder(engine, reg, "t_embedder", D, maxBatch, buf);
        yEmbedder = new LabelEmbedder(engine, reg, "y_embedder", cfg.numClasses(), D, maxBatch, buf);
        blocks = new DitBlock[cfg.depth()];
        Buffers blockBuf = buf.repeats();                   // inference: one set of block buffers for all blocks
        for (int i = 0; i < blocks.length; i++) {
            blockBuf.restart();
            blocks[i] = new DitBlock(engine, reg, "blocks." + i, D, cfg.heads(), cfg.mlpHidden(), cfg.grid(), maxBatch, blockBuf);
        }
        if (cfg.head() == HeadType.DIP) {
            head = new PatchDetailerHead(engine, reg, C, P, D, cfg.headWidth(), maxBatch * N, buf);
            finalLayer = null;
            gPre = buf.act(maxBatch * N * D);
            gSilu = new Silu(engine, maxBatch * N * D, buf);
        } else {
            head = null;
            finalLayer = new FinalLayer(engine, reg, "final_layer", D, cfg.patchDim(), N, maxBatch, buf);
            gPre = null;
            gSilu = null;
        }
        fold = new Unpatchify(engine, C, S, S, P, maxBatch, buf);
        cSilu = new Silu(engine, maxBatch * D, buf);
        cPre = buf.act(maxBatch * D);
        dc = buf.grad(maxBatch * D);
        dte = buf.grad(maxBatch * D);
    }

    // ---------------------------------------------------------------- initialisation

    /**
     * The official initialisation (DiP initialize_weights), one rule per line:
     * PyTorch defaults for every Linear and conv (kaiming-uniform a = √5, bias U(±1/√fan_in)); norm weights ones;
     * patch embed Xavier-uniform with zero bias; label table and timestep-MLP weights N(0, 0.02);
     * with adaLnZero (DiT's adaLN-Zero, not the official DiP default) every adaLN modulation and the DiT final
     * linear are zeroed.
     */
    public Dip initialize(Rng rng) {
        for (Param p : reg.all()) {
            String n = p.name();
            if (!n.endsWith(".weight")) continue;
            Param bias = reg.get(n.substring(0, n.length() - ".weight".length()) + ".bias");
            if (n.endsWith("norm1.weight") || n.endsWith("norm2.weight") || n.endsWith("_norm.weight")) {
                p.fill(1f);                                                  // RMSNorm weight
            } else if (p.shape().length == 2 || p.shape().length == 4) {
                Init.torchDefault(p, bias, rng);                             // nn.Linear / nn.Conv*d default
            }
        }
        Param proj = reg.get("s_embedder.proj.weight");
        Init.xavierUniform(proj, rng);                                       // patch embed: Xavier, zero bias
        reg.get("s_embedder.proj.bias").fill(0f);
        Init.normal(reg.get("y_embedder.embedding_table.weight"), 0.02f, rng);
        Init.normal(reg.get("t_embedder.mlp.0.weight"), 0.02f, rng);
        Init.normal(reg.get("t_embedder.mlp.2.weight"), 0.02f, rng);
        if (cfg.adaLnZero()) {
            for (Param p : reg.all()) {
                if (p.name().contains("adaLN_modulation") || p.name().startsWith("final_layer.linear")) {
                    p.fill(0f);
                }
            }
        }
        return this;
    }

    // ---------------------------------------------------------------- forward

    @Override
    public float[] forward(float[] x, float[] t, int[] y, int B) {
        if (mode == Buffers.Mode.SHAPES) throw new IllegalStateException("this model was built for its parameter shapes only (Dip.shapes): it cannot run");
        if (B < 1 || B > maxBatch) throw new IllegalArgumentException("batch " + B + " is outside [1, maxBatch " + maxBatch + "]");
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        if (x.length < B * per) {
            throw new IllegalArgumentException("x holds " + x.length + " values, but " + B + " images of "
                    + cfg.channels() + "x" + cfg.imageSize() + "x" + cfg.imageSize() + " need " + B * per);
        }
        if (t.length < B || y.length < B) throw new IllegalArgumentException("t and y need " + B + " entries");
        this.B = B;
        float[] s = sEmbedder.forward(x, B);                                     // (B·N, D)
        te = tEmbedder.forward(t, B);                                            // (B, D)
        float[] ye = yEmbedder.forward(y, B);                                    // (B, D)
        float[] tev = te;
        engine.add(cPre, tev, ye, B * D);
        c = cSilu.forward(cPre, B * D);                                          // c = silu(te + ye)
        for (DitBlock block : blocks) s = block.forward(s, c, B);
        float[] out;
        if (head != null) {
            float[] sv = s;
            engine.addRowBroadcast(gPre, sv, tev, B * N, N, D);
            float[] g = gSilu.forward(gPre, B * N * D);                          // g = silu(te[b] + s)
            out = head.forward(sEmbedder.tokens(), g, B * N);                    // noisy patches + token → (B·N, C, P, P)
        } else {
            out = finalLayer.forward(s, c, B);                                   // (B·N, C·P²)
        }
        return fold.forward(out, B);                                             // (B, C, H, W)
    }

    // ---------------------------------------------------------------- backward

    @Override
    public void backward(float[] dv) {
        if (mode != Buffers.Mode.TRAINING) {
            throw new IllegalStateException("this model was built " + (mode == Buffers.Mode.INFERENCE ? "for inference (Dip.forInference)"
                    : "for its parameter shapes only (Dip.shapes)") + ": it has no gradient buffers, so it cannot run backward");
        }
        engine.zero(dc, B * D);
        engine.zero(dte, B * D);
        // forward was: v = fold(out)
        float[] dout = fold.backward(dv);
        float[] ds;
        if (head != null) {
            // forward was: out = local_decoder(tok, g); tok is the input, so only dg flows back
            head.backwardParams(dout);
            // forward was: g = silu(gPre), gPre = s + te[b]
            ds = gSilu.backward(head.dS());
            float[] dsv = ds;
            engine.addRowBroadcastBackwardVec(dte, dsv, B, N, D);
        } else {
            // forward was: out = final_layer(s, c)
            ds = finalLayer.backward(dout, dc);
        }
        // forward was: s = blocks[i](s, c)
        for (int i = blocks.length - 1; i >= 0; i--) ds = blocks[i].backward(ds, dc);
        // forward was: s = s_embedder.proj(tok)
        sEmbedder.backwardParams(ds);                                        // x_t is data: no d(x_t)
        // forward was: c = silu(te + ye)
        float[] dcPre = cSilu.backward(dc);
        engine.addInPlace(dte, dcPre, B * D);
        yEmbedder.backward(dcPre);
        tEmbedder.backward(dte);
    }

    // ---------------------------------------------------------------- accessors

    @Override public DipConfig config() { return cfg; }

    @Override public ParamRegistry params() { return reg; }

    @Override public int maxBatch() { return maxBatch; }

    /** {@link #forInference} with this model's engine and config. */
    @Override public Dip forSampling(int maxBatch) { return forInference(engine, cfg, maxBatch); }

    @Override public Engine engine() { return engine; }

    /** Which buffers this model was built with (training, inference, shapes only). */
    public Buffers.Mode buffers() { return mode; }

    /**
     * Fails with a message naming both shapes when images of C×H×W cannot feed this config
     * (e.g. 28×28 Fashion-MNIST into a 32 px preset without padding).
     */
    public static void requireImageShape(DipConfig cfg, int C, int H, int W) {
        if (C != cfg.channels() || H != cfg.imageSize() || W != cfg.imageSize()) {
            throw new IllegalArgumentException(String.format(
                    "images are %dx%dx%d (C×H×W) but the model expects %dx%dx%d: choose a preset or --image-size/"
                            + "--channels that match the data", C, H, W, cfg.channels(), cfg.imageSize(), cfg.imageSize()));
        }
    }
}
