package dip.layers;

import dip.tornado.exec.Engine;


/**
 * Fold P×P patches back into images (kernel = stride = P, no overlap), as
 * {@code F.fold(tok.transpose(1, 2), (H, W), P, stride=P)}: tok (B·N, C·P²) — or the same memory read as patch
 * images (B·N, C, P, P) — → img (B, C, H, W). No parameters. The model's velocity is the folded head output.
 */
public final class Unpatchify {
    private final Engine engine;
    private final int C, H, W, P, N, maxBatch;
    private final float[] img;                   // (maxBatch, C, H, W)
    private final float[] dtok;                  // (maxBatch·N, C·P²)
    private int B;

    public Unpatchify(Engine engine, int C, int H, int W, int P, int maxBatch) {
        this(engine, C, H, W, P, maxBatch, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): img is an act buffer, dtok a grad buffer. */
    public Unpatchify(Engine engine, int C, int H, int W, int P, int maxBatch, Buffers buf) {
        if (H % P != 0 || W % P != 0) throw new IllegalArgumentException("image " + H + "x" + W + " is not a multiple of patch " + P);
        this.engine = engine;
        this.C = C;
        this.H = H;
        this.W = W;
        this.P = P;
        this.N = (H / P) * (W / P);
        this.maxBatch = maxBatch;
        img = buf.act(maxBatch * C * H * W);
        dtok = buf.grad(maxBatch * N * C * P * P);
    }

    /** Returns the layer-owned image (B, C, H, W), valid until the next forward. */
    public float[] forward(float[] tok, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("Unpatchify: batch " + B + " > maxBatch " + maxBatch);
        this.B = B;
        float[] img = this.img;
        int C = this.C, H = this.H, W = this.W, P = this.P;
        engine.unpatchifyForward(img, tok, B * N, C, H, W, P);
        return img;
    }

    /** Returns the layer-owned d(tok) (B·N, C·P²), overwritten. */
    public float[] backward(float[] dimg) {
        float[] dtok = this.dtok;
        int C = this.C, H = this.H, W = this.W, P = this.P;
        engine.unpatchifyBackward(dtok, dimg, B * N, C, H, W, P);
        return dtok;
    }

    public float[] output() { return img; }
}
