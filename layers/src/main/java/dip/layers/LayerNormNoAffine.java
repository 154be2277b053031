package dip.layers;

import dip.tornado.exec.Engine;


/**
 * LayerNorm over the last axis without affine parameters (torch.nn.LayerNorm(D, elementwise_affine=False, eps),
 * DiT's norm_final, eps 1e-6). x, y: (R, D). It has no parameters, so it takes no ParamRegistry.
 */
public final class LayerNormNoAffine {
    private final Engine engine;
    private final int D, maxRows;
    private final float eps;
    private final float[] y, dx;       // (maxRows, D)
    private final float[] mean, rstd;  // (maxRows) backward cache
    private float[] x;                 // backward cache: the last input (a reference)
    private int R;

    public LayerNormNoAffine(Engine engine, int D, float eps, int maxRows) {
        this(engine, D, eps, maxRows, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): y, mean, rstd are act buffers, dx a grad buffer. */
    public LayerNormNoAffine(Engine engine, int D, float eps, int maxRows, Buffers buf) {
        this.engine = engine;
        this.D = D;
        this.eps = eps;
        this.maxRows = maxRows;
        y = buf.act(maxRows * D);
        dx = buf.grad(maxRows * D);
        mean = buf.act(maxRows);
        rstd = buf.act(maxRows);
    }

    /** y (R, D) = (x − mean)·rstd per row; the layer-owned output, valid until the next forward. */
    public float[] forward(float[] x, int R) {
        if (R > maxRows) throw new IllegalArgumentException("LayerNormNoAffine: " + R + " rows > maxRows " + maxRows);
        this.x = x;
        this.R = R;
        engine.layerNormForward(y, mean, rstd, x, R, D, eps);
        return y;
    }

    /** Returns the layer-owned dx (R, D), overwritten. */
    public float[] backward(float[] dy) {
        engine.zero(dx, R * D);
        float[] xs = x;
        engine.layerNormBackward(dx, dy, xs, mean, rstd, R, D);
        return dx;
    }
}
