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
        remember(x, R);
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

    /**
     * A DiT block's pre-norm: y = RMSNorm(x (R, D)), then h = y·(1 + scale) + shift with scale, shift the chunks
     * scaleIdx, shiftIdx of mod (B, chunks·D), N rows per sample, in one kernel. h is the caller's buffer; returns y
     * (layer-owned, valid until the next forward), which the modulation's backward reads.
     */
    public float[] forwardModulate(float[] h, float[] x, float[] mod, int R, int N, int chunks, int shiftIdx, int scaleIdx) {
        remember(x, R);
        engine.rmsNormModulateForward(h, y, rstd, x, weight.array(), weight.offset(), mod, R, N, D, eps, chunks, shiftIdx, scaleIdx);
        return y;
    }

    /**
     * Backward of {@link #forwardModulate} through the modulation's input and the norm: writes dy = dh·(1 + scale)
     * into the caller's scratch (R, D), ADDS dL/dx to {@code dx} (the residual stream's gradient, which the caller
     * has already started) and accumulates dweight. The modulation's dshift, dscale are the caller's.
     */
    public void backwardModulate(float[] dx, float[] dy, float[] dh, float[] mod, int N, int chunks, int scaleIdx) {
        float[] xs = x;
        int rows = R, wo = weight.offset();
        engine.rmsNormModulateBackward(dy, dx, dh, mod, xs, weight.array(), wo, rstd, rows, N, D, chunks, scaleIdx);
        engine.rmsNormWeightBackward(weight.gradArray(), wo, dy, xs, rstd, rows, D);
    }

    /** Checks the rows and keeps the input for the backward. */
    private void remember(float[] x, int R) {
        if (R > maxRows) throw new IllegalArgumentException("RmsNorm " + weight.name() + ": " + R + " rows > maxRows " + maxRows);
        this.x = x;
        this.R = R;
    }
}
