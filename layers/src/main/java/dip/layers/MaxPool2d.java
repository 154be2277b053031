package dip.layers;

import dip.tornado.exec.Engine;


/**
 * torch.nn.MaxPool2d(2, stride=2) on a fixed H×W: x: (B, C, H, W) → y: (B, C, H/2, W/2). No parameters. The backward
 * cache is the argmax index of every output (ties: the first in row-major window order, as torch).
 */
public final class MaxPool2d {
    private final Engine engine;
    private final int C, H, W, maxBatch;
    private final float[] y;                     // (maxBatch, C, H/2, W/2)
    private float[] dx;                          // (maxBatch, C, H, W), allocated by the first backward()
    private final int[] argmax;                  // (maxBatch, C, H/2, W/2): flat index into x
    private int B;

    public MaxPool2d(Engine engine, int C, int H, int W, int maxBatch) {
        this(engine, C, H, W, maxBatch, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): y and the argmax are act buffers. */
    public MaxPool2d(Engine engine, int C, int H, int W, int maxBatch, Buffers buf) {
        this.engine = engine;
        this.C = C;
        this.H = H;
        this.W = W;
        this.maxBatch = maxBatch;
        y = buf.act(maxBatch * C * (H / 2) * (W / 2));
        argmax = buf.actInt(maxBatch * C * (H / 2) * (W / 2));
    }

    /** Returns the layer-owned output (B, C, H/2, W/2), valid until the next forward. */
    public float[] forward(float[] x, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("MaxPool2d: batch " + B + " > maxBatch " + maxBatch);
        this.B = B;
        float[] y = this.y;
        int[] argmax = this.argmax;
        int H = this.H, W = this.W;
        engine.maxPool2x2Forward(y, argmax, x, B * C * (H / 2) * (W / 2), H, W);
        return y;
    }

    /**
     * Returns the layer-owned dx (B, C, H, W), overwritten: dy scattered to the argmax positions, zero elsewhere.
     * The buffer is allocated on the first call: a caller that accumulates through {@link #backwardInto} (the Patch
     * Detailer Head, into its skip gradients) never pays for it.
     */
    public float[] backward(float[] dy) {
        if (dx == null) dx = new float[maxBatch * C * H * W];
        engine.zero(dx, B * C * H * W);
        backwardInto(dx, dy);
        return dx;
    }

    /** Accumulates the scatter of dy (B, C, H/2, W/2) into a caller's dxAcc (B, C, H, W) (the head adds it to a skip gradient). */
    public void backwardInto(float[] dxAcc, float[] dy) {
        int[] argmax = this.argmax;
        engine.maxPool2x2Backward(dxAcc, dy, argmax, B * C * (H / 2) * (W / 2));
    }

    public float[] output() { return y; }

    /** The backward cache: for each output of the last forward, the flat index into x it took (read-only). */
    public int[] argmax() { return argmax; }
}
