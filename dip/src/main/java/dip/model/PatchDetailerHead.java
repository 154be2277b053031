package dip.model;

import dip.layers.Buffers;
import dip.layers.Conv2d;
import dip.layers.ConvTranspose2d;
import dip.layers.MaxPool2d;
import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.tornado.exec.Engine;
import dip.util.Rng;


/**
 * The Patch Detailer Head (= {@code LocalDecoder} in the official dip.py): a small conv U-Net run on every patch
 * as an independent C×P×P image, conditioned on the patch's global token s (D) at the bottleneck only
 * (docs/model-spec.md §2). The stages follow the official layout whenever P is a multiple of 16: S = 4, a
 * (P/16)×(P/16) bottleneck over which the token is repeated (so an official P = 32 checkpoint loads); for the smaller
 * power-of-two patches (P = 2, 4, 8) the head is generalised to S = log2 P stages (1×1 bottleneck). Widths
 * w0 = C, wi = width·2^(i−1); for P = 16, width 64 it is exactly the official module and parameter set.
 * <pre>
 *   h = patches                                        (BN, C, P, P)
 *   for i = 1..S:  skip_i = SiLU(enc_i(h))  conv3×3 w(i−1) → wi;  h = maxpool2×2(skip_i)
 *   b = SiLU(bottleneck([h, s broadcast]))              conv1×1 (wS + D) → wS
 *   for i = S..1:  g = SiLU(dec_i([up_i(g), skip_i]))  convT2×2 wi → wi; conv3×3 2·wi → w(max(i−1, 1))
 *   out = out_conv(g)                                  conv1×1 w1 → C, no activation   (BN, C, P, P)
 * </pre>
 * Parameters are registered in the official state_dict order: enc1..encS, bottleneck, upS, decS, ..., up1, dec1,
 * out_conv, as {@code local_decoder.enc{i}.0.weight} and so on. Buffers are allocated for {@code maxPatches} patch
 * images (B·N of them) at construction; the last forward's activations are the backward cache.
 */
public final class PatchDetailerHead {
    public static final String PREFIX = "local_decoder";

    private final Engine engine;
    private final int C, P, D, S, maxPatches;
    private final boolean backward;              // built with gradient buffers
    private final int[] w;                       // w[i]: channels of stage i, w[0] = C
    private final int[] side;                    // side[i]: image side at stage i (side[1] = P), side[S+1]: bottleneck
    private final Conv2d[] enc, dec;             // index 1..S
    private final MaxPool2d[] pool;              // index 1..S
    private final ConvTranspose2d[] up;          // index 1..S
    private final Conv2d bottleneck, outConv;

    // activations (the backward cache)
    private final float[][] skip;                // skip[i] = SiLU(enc_i(..))    (BN, wi, side_i, side_i)
    private final float[] bIn;                   // [pooled, s broadcast]        (BN, wS + D, bs, bs)
    private final float[] bAct;                  // SiLU(bottleneck(bIn))        (BN, wS, bs, bs)
    private final float[][] cat;                 // cat[i] = [up_i(g), skip_i]   (BN, 2wi, side_i, side_i)
    private final float[][] decAct;              // decAct[i] = SiLU(dec_i(cat_i)) (BN, w(max(i−1,1)), side_i, side_i)
    private int BN;

    // gradients
    private final float[][] dSkip;               // (BN, wi, side_i, side_i): from the concat and from the pool
    private final float[] dPre;                  // scratch: d(pre-activation) of any SiLU, max size over stages
    private final float[] dUp;                   // scratch: d(up_i output) (BN, wi, side_i, side_i), max size
    private final float[] dPooled;               // (BN, wS, bs, bs)
    private final float[] dS;                    // (BN, D)
    private float[] dPatches;                    // enc1's dx (BN, C, P, P)

    /** Official stages for P = 16·k. */
    public static final int OFFICIAL_STAGES = 4;

    /** The stages this project builds for patch size P: 4 when P is a multiple of 16 (official), else log2 P. */
    public static int stagesFor(int P) {
        return P % 16 == 0 ? OFFICIAL_STAGES : Integer.numberOfTrailingZeros(Math.max(P, 1));
    }

    /** Whether a head can be built for patch size P: a multiple of 16, or a power of two >= 2. */
    public static boolean supports(int P) {
        return P >= 2 && (P % 16 == 0 || Integer.bitCount(P) == 1);
    }

    /** The head for its patch size ({@link #stagesFor}), with training buffers. */
    public PatchDetailerHead(Engine engine, ParamRegistry reg, int C, int P, int D, int width, int maxPatches) {
        this(engine, reg, C, P, D, width, stagesFor(P), maxPatches, Buffers.training());
    }

    /** The head for its patch size ({@link #stagesFor}), with the buffers of {@code buf}'s mode. */
    public PatchDetailerHead(Engine engine, ParamRegistry reg, int C, int P, int D, int width, int maxPatches, Buffers buf) {
        this(engine, reg, C, P, D, width, stagesFor(P), maxPatches, buf);
    }

    /**
     * With an explicit number of stages S (2^S must divide P), training buffers. The official code keeps S = 4 for
     * P = 32 (a 2×2 bottleneck over which the token is repeated, {@code s.view(BN, D, 1, 1).repeat(1, 1, P/16, P/16)}).
     */
    public PatchDetailerHead(Engine engine, ParamRegistry reg, int C, int P, int D, int width, int stages, int maxPatches) {
        this(engine, reg, C, P, D, width, stages, maxPatches, Buffers.training());
    }

    /**
     * With an explicit number of stages and the buffers of {@code buf}'s mode ({@link Buffers}). For inference the
     * pre-activation conv outputs, the up-convolution outputs, the concatenations and the decoder activations each
     * share one array across the stages (each is consumed before the next stage writes it); the skips stay apart.
     */
    public PatchDetailerHead(Engine engine, ParamRegistry reg, int C, int P, int D, int width, int stages, int maxPatches,
                             Buffers buf) {
        if (!supports(P)) throw new IllegalArgumentException("patch size must be a multiple of 16 or a power of two >= 2, got " + P);
        if (stages < 1 || P % (1 << stages) != 0) {
            throw new IllegalArgumentException("stages must be in 1.." + Integer.numberOfTrailingZeros(P) + " for P = " + P + " (2^stages must divide P), got " + stages);
        }
        this.backward = buf.backward();
        this.engine = engine;
        this.C = C;
        this.P = P;
        this.D = D;
        this.S = stages;
        this.maxPatches = maxPatches;
        w = new int[S + 1];
        side = new int[S + 2];
        w[0] = C;
        for (int i = 1; i <= S; i++) w[i] = width << (i - 1);
        for (int i = 1; i <= S + 1; i++) side[i] = P >> (i - 1);
        int M = maxPatches, bs = side[S + 1];
        int maxConv = w[S] * bs * bs, maxUpOut = 0, maxCat = 0, maxDec = 0;   // per patch, over the stages
        for (int i = 1; i <= S; i++) {
            int hw = side[i] * side[i], wo = w[Math.max(i - 1, 1)];
            maxConv = Math.max(maxConv, Math.max(w[i], wo) * hw);
            maxUpOut = Math.max(maxUpOut, w[i] * hw);
            maxCat = Math.max(maxCat, 2 * w[i] * hw);
            maxDec = Math.max(maxDec, wo * hw);
        }
        Buffers convOut = buf.slot(M * maxConv), upOut = buf.slot(M * maxUpOut), catBuf = buf.slot(M * maxCat),
                decBuf = buf.slot(M * maxDec);

        enc = new Conv2d[S + 1];
        dec = new Conv2d[S + 1];
        pool = new MaxPool2d[S + 1];
        up = new ConvTranspose2d[S + 1];
        skip = new float[S + 1][];
        cat = new float[S + 1][];
        decAct = new float[S + 1][];
        dSkip = new float[S + 1][];
        int maxAct = 0, maxUp = 0;
        for (int i = 1; i <= S; i++) {                            // encoder, in registration order
            int hw = side[i] * side[i];
            enc[i] = new Conv2d(engine, reg, PREFIX + ".enc" + i + ".0", w[i - 1], w[i], 3, side[i], side[i], M, convOut);
            pool[i] = new MaxPool2d(engine, w[i], side[i], side[i], M, buf);
            skip[i] = buf.act(M * w[i] * hw);
            dSkip[i] = buf.grad(M * w[i] * hw);
            maxAct = Math.max(maxAct, w[i] * hw);
        }
        bottleneck = new Conv2d(engine, reg, PREFIX + ".bottleneck.0", w[S] + D, w[S], 1, bs, bs, M, convOut);
        bIn = buf.act(M * (w[S] + D) * bs * bs);
        bAct = buf.act(M * w[S] * bs * bs);
        maxAct = Math.max(maxAct, w[S] * bs * bs);
        for (int i = S; i >= 1; i--) {                            // decoder: upS, decS, ..., up1, dec1
            int hw = side[i] * side[i], wo = w[Math.max(i - 1, 1)];
            up[i] = new ConvTranspose2d(engine, reg, PREFIX + ".up" + i, w[i], w[i], side[i + 1], side[i + 1], M, upOut);
            dec[i] = new Conv2d(engine, reg, PREFIX + ".dec" + i + ".0", 2 * w[i], wo, 3, side[i], side[i], M, convOut);
            cat[i] = catBuf.act(M * 2 * w[i] * hw);
            decAct[i] = decBuf.act(M * wo * hw);
            maxAct = Math.max(maxAct, wo * hw);
            maxUp = Math.max(maxUp, w[i] * hw);
        }
        outConv = new Conv2d(engine, reg, PREFIX + ".out_conv", w[1], C, 1, P, P, M, buf);
        dPre = buf.grad(M * maxAct);
        dUp = buf.grad(M * maxUp);
        dPooled = buf.grad(M * w[S] * bs * bs);
        dS = buf.grad(M * D);
    }

    /** PyTorch's default init for every conv (the official model leaves the LocalDecoder at its defaults). */
    public void initialize(Rng rng) {
        for (int i = 1; i <= S; i++) enc[i].initialize(rng);
        bottleneck.initialize(rng);
        for (int i = S; i >= 1; i--) {
            up[i].initialize(rng);
            dec[i].initialize(rng);
        }
        outConv.initialize(rng);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // forward

    /**
     * patches: (BN, C, P, P) (the unfolded tokens, same memory), s: (BN, D) the per-patch global token.
     * Returns the head-owned output (BN, C, P, P), valid until the next forward. patches is kept by reference
     * (enc1's weight gradient reads it in backward), so leave it unchanged until then; s is not kept.
     */
    public float[] forward(float[] patches, float[] s, int BN) {
        if (BN > maxPatches) throw new IllegalArgumentException("PatchDetailerHead: " + BN + " patches > maxPatches " + maxPatches);
        this.BN = BN;
        float[] h = patches;
        for (int i = 1; i <= S; i++) {
            silu(skip[i], enc[i].forward(h, BN), BN * w[i] * side[i] * side[i]);     // skip_i = SiLU(enc_i(h))
            h = pool[i].forward(skip[i], BN);                                        // h = maxpool(skip_i)
        }
        int bs = side[S + 1], CA = w[S], hwB = bs * bs;
        float[] bIn = this.bIn, pooled = h;
        int D = this.D;
        engine.broadcastConcatForward(bIn, pooled, s, BN * (CA + D), CA, D, hwB);
        silu(bAct, bottleneck.forward(bIn, BN), BN * w[S] * hwB);                    // b = SiLU(bottleneck(bIn))
        float[] g = bAct;
        for (int i = S; i >= 1; i--) {
            float[] u = up[i].forward(g, BN), sk = skip[i], ct = cat[i];            // u = up_i(g)
            int wi = w[i], hw = side[i] * side[i];
            engine.concatForward(ct, u, sk, BN * 2 * wi, wi, wi, hw);
            silu(decAct[i], dec[i].forward(ct, BN), BN * w[Math.max(i - 1, 1)] * hw); // g = SiLU(dec_i([u, skip_i]))
            g = decAct[i];
        }
        return outConv.forward(g, BN);                                               // out = out_conv(g)
    }

    // ----------------------------------------------------------------------------------------------------------------
    // backward

    /**
     * dout: (BN, C, P, P) = dL/d(output) of the last forward. Accumulates every parameter's grad, fills
     * {@link #dS()} and returns d(patches) (BN, C, P, P) (enc1's buffer, overwritten by the next backward).
     */
    public float[] backward(float[] dout) {
        return backward(dout, true);
    }

    /**
     * As {@link #backward(float[])}, but computes no d(patches) (enc1's input gradient) and returns null: for the
     * denoiser, whose patches are data.
     */
    public float[] backwardParams(float[] dout) {
        return backward(dout, false);
    }

    private float[] backward(float[] dout, boolean patchGrad) {
        if (!backward) throw new IllegalStateException("this Patch Detailer Head was built without gradient buffers (inference): it runs forward only");
        int BN = this.BN;
        float[] dg = outConv.backward(dout);                    // forward was: out = out_conv(g)
        for (int i = 1; i <= S; i++) {
            int wi = w[i], hw = side[i] * side[i], wo = w[Math.max(i - 1, 1)];
            // forward was: g = SiLU(dec_i(cat_i))
            siluBackward(dPre, dg, dec[i].output(), BN * wo * hw);
            float[] dCat = dec[i].backward(dPre);
            // forward was: cat_i = [u, skip_i]
            float[] dUp = this.dUp, dSk = dSkip[i];
            engine.concatBackward(dUp, dSk, dCat, BN * 2 * wi, wi, wi, hw);  // writes both
            dg = up[i].backward(dUp);                           // forward was: u = up_i(g)
        }
        int bs = side[S + 1], CA = w[S], hwB = bs * bs, D = this.D;
        siluBackward(dPre, dg, bottleneck.output(), BN * CA * hwB);   // forward was: b = SiLU(bottleneck(bIn))
        float[] dBIn = bottleneck.backward(dPre), dPooled = this.dPooled, dS = this.dS;
        engine.broadcastConcatBackward(dPooled, dS, dBIn, BN * (CA + D), CA, D, hwB);  // writes both
        float[] dh = dPooled;
        for (int i = S; i >= 1; i--) {
            pool[i].backwardInto(dSkip[i], dh);                 // forward was: h = maxpool(skip_i); adds to the concat's part
            siluBackward(dPre, dSkip[i], enc[i].output(), BN * w[i] * side[i] * side[i]);  // skip_i = SiLU(enc_i(h))
            if (i > 1 || patchGrad) {
                dh = enc[i].backward(dPre);
            } else {
                enc[i].backwardParams(dPre);
                dh = null;
            }
        }
        dPatches = dh;
        return dh;
    }

    /** dL/ds (BN, D) from the last backward. */
    public float[] dS() { return dS; }

    /** dL/d(patches) (BN, C, P, P) from the last backward (also its return value; null after backwardParams). */
    public float[] dPatches() { return dPatches; }

    // ----------------------------------------------------------------------------------------------------------------
    // helpers

    private void silu(float[] out, float[] x, int n) {
        engine.siluForward(out, x, n);
    }

    /** dx[0..n) = dout·SiLU'(x), written. */
    private void siluBackward(float[] dx, float[] dout, float[] x, int n) {
        engine.siluBackward(dx, dout, x, n);
    }

    /** S: number of down/up stages. */
    public int stages() { return S; }

    /** Channels of stage i (0 = input channels C). */
    public int width(int i) { return w[i]; }

    public int maxPatches() { return maxPatches; }

    /** Pool i's argmax cache from the last forward (read-only; tests use it to see whether a step crossed a kink). */
    public int[] poolArgmax(int i) { return pool[i].argmax(); }

    /** All parameters of the head, for tests: enc, bottleneck, up/dec, out_conv in registration order. */
    public Param[] params() {
        Param[] ps = new Param[6 * S + 4];
        int k = 0;
        for (int i = 1; i <= S; i++) { ps[k++] = enc[i].weight; ps[k++] = enc[i].bias; }
        ps[k++] = bottleneck.weight;
        ps[k++] = bottleneck.bias;
        for (int i = S; i >= 1; i--) {
            ps[k++] = up[i].weight; ps[k++] = up[i].bias;
            ps[k++] = dec[i].weight; ps[k++] = dec[i].bias;
        }
        ps[k++] = outConv.weight;
        ps[k] = outConv.bias;
        return ps;
    }
}
