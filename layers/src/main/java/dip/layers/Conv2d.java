package dip.layers;

import dip.tornado.exec.Engine;
import dip.util.Rng;


/**
 * torch.nn.Conv2d(in, out, k, padding = k/2) with bias, stride 1, for k = 3 (padding 1) or k = 1, on a fixed H×W:
 * x: (B, in, H, W) → y: (B, out, H, W), weight (out, in, k, k), bias (out). Params {@code <name>.weight},
 * {@code <name>.bias}. A 1×1 conv on a 1×1 image is a plain matmul in NCHW ((B, in) rows), so it goes through the
 * engine's matmul (the Patch Detailer Head's bottleneck); the others go through the engine's conv methods (scalar
 * {@code ConvKernels} by default, im2col + GEMM on the Java engine). Holds its output and input-gradient buffers for
 * {@code maxBatch} images and a reference to the last input as its backward cache.
 */
public final class Conv2d {
    public final Param weight, bias;
    private final Engine engine;
    private final int in, out, k, H, W, maxBatch;
    private final float[] y, dx;                 // (maxBatch, out, H, W), (maxBatch, in, H, W)
    private float[] x;                           // backward cache: the last input (a reference, not a copy)
    private int B;

    public Conv2d(Engine engine, ParamRegistry reg, String name, int in, int out, int k, int H, int W, int maxBatch) {
        this(engine, reg, name, in, out, k, H, W, maxBatch, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): y is an act buffer, dx a grad buffer. */
    public Conv2d(Engine engine, ParamRegistry reg, String name, int in, int out, int k, int H, int W, int maxBatch, Buffers buf) {
        if (k != 1 && k != 3) throw new IllegalArgumentException("Conv2d " + name + ": kernel must be 1 or 3, got " + k);
        this.engine = engine;
        this.in = in;
        this.out = out;
        this.k = k;
        this.H = H;
        this.W = W;
        this.maxBatch = maxBatch;
        weight = reg.add(name + ".weight", out, in, k, k);
        bias = reg.add(name + ".bias", out);
        y = buf.act(maxBatch * out * H * W);
        dx = buf.grad(maxBatch * in * H * W);
    }

    /** PyTorch's default init: weight and bias U(−1/√fan_in, 1/√fan_in), fan_in = in·k·k. */
    public void initialize(Rng rng) {
        Init.torchDefaultConv(weight, bias, rng);
    }

    /** Returns the layer-owned output (B, out, H, W), valid until the next forward. */
    public float[] forward(float[] x, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("Conv2d " + weight.name() + ": batch " + B + " > maxBatch " + maxBatch);
        this.x = x;
        this.B = B;
        float[] y = this.y, w = weight.array(), b = bias.array();
        int wo = weight.offset(), bo = bias.offset();
        int in = this.in, out = this.out, H = this.H, W = this.W;
        if (k == 3) engine.conv3x3Forward(y, x, w, wo, b, bo, B, in, out, H, W);
        else if (H * W == 1) engine.matmulForward(y, x, w, wo, b, bo, B, in, out);
        else engine.conv1x1Forward(y, x, w, wo, b, bo, B, in, out, H * W);
        return y;
    }

    /** Accumulates dW, db; returns the layer-owned dx (B, in, H, W), overwritten. */
    public float[] backward(float[] dy) {
        float[] dx = this.dx, w = weight.array();
        int wo = weight.offset();
        int B = this.B, in = this.in, out = this.out, H = this.H, W = this.W;
        if (k == 3) engine.conv3x3BackwardInput(dx, dy, w, wo, B, in, out, H, W);
        else if (H * W == 1) engine.matmulBackwardInput(dx, dy, w, wo, B, in, out);
        else engine.conv1x1BackwardInput(dx, dy, w, wo, B, in, out, H * W);
        backwardParams(dy);
        return dx;
    }

    /** Accumulates dW and db only, for a layer whose input needs no gradient (it is data, not a result). */
    public void backwardParams(float[] dy) {
        float[] x = this.x, dw = weight.gradArray(), db = bias.gradArray();
        int wo = weight.offset(), bo = bias.offset();
        int B = this.B, in = this.in, out = this.out, H = this.H, W = this.W;
        if (k == 3) engine.conv3x3BackwardWeight(dw, wo, db, bo, dy, x, B, in, out, H, W);
        else if (H * W == 1) engine.matmulBackwardWeight(dw, wo, db, bo, dy, x, B, in, out);
        else engine.conv1x1BackwardWeight(dw, wo, db, bo, dy, x, B, in, out, H * W);
    }

    public float[] output() { return y; }

    public int in() { return in; }

    public int out() { return out; }
}
