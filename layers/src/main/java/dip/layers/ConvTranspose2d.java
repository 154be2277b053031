package dip.layers;

import dip.tornado.exec.Engine;
import dip.util.Rng;


/**
 * torch.nn.ConvTranspose2d(in, out, kernel_size=2, stride=2) with bias, on a fixed H×W input:
 * x: (B, in, H, W) → y: (B, out, 2H, 2W), weight (in, out, 2, 2) (torch's layout), bias (out).
 * Params {@code <name>.weight}, {@code <name>.bias}. The math runs through the engine's convTranspose2x2 methods
 * ({@code ConvTransposeKernels} by default, a GEMM on the Java engine).
 */
public final class ConvTranspose2d {
    public final Param weight, bias;
    private final Engine engine;
    private final int in, out, H, W, maxBatch;
    private final float[] y, dx;                 // (maxBatch, out, 2H, 2W), (maxBatch, in, H, W)
    private float[] x;                           // backward cache: the last input (a reference)
    private int B;

    public ConvTranspose2d(Engine engine, ParamRegistry reg, String name, int in, int out, int H, int W, int maxBatch) {
        this(engine, reg, name, in, out, H, W, maxBatch, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): y is an act buffer, dx a grad buffer. */
    public ConvTranspose2d(Engine engine, ParamRegistry reg, String name, int in, int out, int H, int W, int maxBatch, Buffers buf) {
        this.engine = engine;
        this.in = in;
        this.out = out;
        this.H = H;
        this.W = W;
        this.maxBatch = maxBatch;
        weight = reg.add(name + ".weight", in, out, 2, 2);
        bias = reg.add(name + ".bias", out);
        y = buf.act(maxBatch * out * 4 * H * W);
        dx = buf.grad(maxBatch * in * H * W);
    }

    /** PyTorch's default init: U(−1/√fan_in, 1/√fan_in) with fan_in = weight.size(1)·2·2 = out·4, as torch computes it. */
    public void initialize(Rng rng) {
        Init.torchDefaultConv(weight, bias, rng);
    }

    /** Returns the layer-owned output (B, out, 2H, 2W), valid until the next forward. */
    public float[] forward(float[] x, int B) {
        if (B > maxBatch) {
            throw new IllegalArgumentException("ConvTranspose2d " + weight.name() + ": batch " + B + " > maxBatch " + maxBatch);
        }
        this.x = x;
        this.B = B;
        float[] y = this.y, w = weight.array(), b = bias.array();
        int in = this.in, out = this.out, H = this.H, W = this.W;
        engine.convTranspose2x2Forward(y, x, w, weight.offset(), b, bias.offset(), B, in, out, H, W);
        return y;
    }

    /** Accumulates dW, db; returns the layer-owned dx (B, in, H, W), overwritten. */
    public float[] backward(float[] dy) {
        float[] dx = this.dx, x = this.x, w = weight.array(), dw = weight.gradArray(), db = bias.gradArray();
        int B = this.B, in = this.in, out = this.out, H = this.H, W = this.W, wo = weight.offset(), bo = bias.offset();
        engine.convTranspose2x2BackwardInput(dx, dy, w, wo, B, in, out, H, W);
        engine.convTranspose2x2BackwardWeight(dw, wo, db, bo, dy, x, B, in, out, H, W);
        return dx;
    }

    public float[] output() { return y; }
}
