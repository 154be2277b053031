package dip.layers;

import dip.tornado.exec.Engine;


/**
 * RMSNorm with a learnable weight (official DiP/PixNerd RMSNorm): y = x · rsqrt(mean(x²) + eps) · w over the last
 * axis. x, y: (R, D); weight {@code <name>.weight}: (D), initialised to ones. Used for the blocks' norm1/norm2
 * (D = hidden) and, per head, for the attention's q_norm/k_norm (D = head size, R = B·NH·N).
 */
public final class RmsNorm {
    public final Param weight;
    private final Engine engine;
    private final int D, maxRows;
    private final float eps;
    private final float[] y, dx;       // (maxRows, D) layer-owned output and input gradient
    private final float[] rstd;        // (maxRows) backward cache: 1/rms of each row
    private float[] x;                 // backward cache: the last input (a reference)
    private int R;

    public RmsNorm(Engine engine, ParamRegistry reg, String name, int D, float eps, int maxRows) {
        this(engine, reg, name, D, eps, maxRows, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): y and rstd are act buffers, dx a grad buffer. */
    public RmsNorm(Engine engine, ParamRegistry reg, String name, int D, float eps, int maxRows, Buffers buf) {
        this.engine = engine;
        this.D = D;
        this.eps = eps;
        this.maxRows = maxRows;
        weight = reg.add(name + ".weight", D);
        weight.fill(1f);                                   // torch: nn.Parameter(torch.ones(D))
        y = buf.act(maxRows * D);
        dx = buf.grad(maxRows * D);
        rstd = buf.act(maxRows);
    }

    /** y (R, D) = RMSNorm(x (R, D)); the layer-owned output, valid until the next forward. */
    public float[] forward(float[] x, int R) {
        if (R > maxRows) throw new IllegalArgumentException("RmsNorm " + weight.name() + ": " + R + " rows > maxRows " + maxRows);
        this.x = x;
        this.R = R;
        engine.rmsNormForward(y, rstd, x, weight.array(), weight.offset(), R, D, eps);
        return y;
    }

    /** Accumulates dweight; returns the layer-owned dx (R, D), overwritten. */
    public float[] backward(float[] dy) {
        float[] xs = x;
        int rows = R, wo = weight.offset();
        engine.rmsNormBackward(dx, dy, xs, weight.array(), wo, rstd, rows, D);
        engine.rmsNormWeightBackward(weight.gradArray(), wo, dy, xs, rstd, rows, D);
        return dx;
    }
}
