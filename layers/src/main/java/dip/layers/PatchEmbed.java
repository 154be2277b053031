package dip.layers;

import dip.tornado.exec.Engine;
import dip.tornado.kernels.PatchKernels;
import dip.util.Rng;


/**
 * DiP's patch embedding: unfold the image into P×P patches (kernel = stride = P; tokens row-major over the grid,
 * each vector ordered (c, ky, kx), as {@code F.unfold(x, P, stride=P).transpose(1, 2)}), then a Linear(C·P² → D)
 * named {@code <name>.proj} (official: {@code s_embedder.proj}). img: (B, C, H, W) → s: (B·N, D).
 * The unfolded tokens stay readable through {@link #tokens()}: read as (B·N, C, P, P) they are the batch of patch
 * images that the Patch Detailer Head takes (same memory, see PatchKernels).
 */
public final class PatchEmbed {
    public final Linear proj;
    private final Engine engine;
    private final int C, H, W, P, N, maxBatch;
    private final float[] tokens;                // (maxBatch·N, C·P²)
    private final float[] dimg;                  // (maxBatch, C, H, W)
    private int B;

    public PatchEmbed(Engine engine, ParamRegistry reg, String name, int C, int H, int W, int P, int D, int maxBatch) {
        this(engine, reg, name, C, H, W, P, D, maxBatch, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): tokens is an act buffer, dimg a grad buffer. */
    public PatchEmbed(Engine engine, ParamRegistry reg, String name, int C, int H, int W, int P, int D, int maxBatch, Buffers buf) {
        if (H % P != 0 || W % P != 0) throw new IllegalArgumentException("image " + H + "x" + W + " is not a multiple of patch " + P);
        this.engine = engine;
        this.C = C;
        this.H = H;
        this.W = W;
        this.P = P;
        this.N = (H / P) * (W / P);
        this.maxBatch = maxBatch;
        proj = new Linear(engine, reg, name + ".proj", C * P * P, D, true, maxBatch * N, buf);
        tokens = buf.act(maxBatch * N * C * P * P);
        dimg = buf.grad(maxBatch * C * H * W);
    }

    /** Official init (DiP initialize_weights): Xavier-uniform weight, zero bias. */
    public void initialize(Rng rng) {
        Init.xavierUniform(proj.weight, rng);
        Init.zeros(proj.bias);
    }

    /** Returns s (B·N, D), the Linear's buffer, valid until the next forward. */
    public float[] forward(float[] img, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("PatchEmbed: batch " + B + " > maxBatch " + maxBatch);
        this.B = B;
        float[] tokens = this.tokens;
        int C = this.C, H = this.H, W = this.W, P = this.P;
        engine.patchifyForward(tokens, img, B * N, C, H, W, P);
        return proj.forward(tokens, B * N);
    }

    /** The last forward's unfolded tokens (B·N, C·P²) = patch images (B·N, C, P, P). */
    public float[] tokens() { return tokens; }

    /** Accumulates the Linear's dW, db; returns the layer-owned d(img) (B, C, H, W), overwritten. */
    public float[] backward(float[] ds) {
        float[] dtok = proj.backward(ds), dimg = this.dimg;
        int C = this.C, H = this.H, W = this.W, P = this.P;
        engine.patchifyBackward(dimg, dtok, B * N, C, H, W, P);
        return dimg;
    }

    /**
     * Accumulates the Linear's dW, db and nothing else: for a caller whose image needs no gradient (the denoiser,
     * whose input x_t is data), which saves the input-gradient matmul and the fold back to pixels.
     */
    public void backwardParams(float[] ds) {
        proj.backwardParams(ds);
    }

    /** N: tokens per image. */
    public int tokensPerImage() { return N; }
}
