package dip.layers;

import dip.tornado.exec.Engine;


/**
 * SiLU as a layer, out = x·σ(x) (torch.nn.SiLU), over a flat array of n ≤ maxSize elements. No parameters.
 * Holds its output and dx buffers and a reference to the last input as its backward cache.
 */
public final class Silu {
    private final Engine engine;
    private final int maxSize;
    private final float[] out, dx;    // (maxSize), (maxSize)
    private float[] x;                // backward cache: the last input (a reference)
    private int n;

    public Silu(Engine engine, int maxSize) {
        this(engine, maxSize, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): out is an act buffer, dx a grad buffer. */
    public Silu(Engine engine, int maxSize, Buffers buf) {
        this.engine = engine;
        this.maxSize = maxSize;
        out = buf.act(maxSize);
        dx = buf.grad(maxSize);
    }

    /** Returns the layer-owned output (n), valid until the next forward. x is not modified. */
    public float[] forward(float[] x, int n) {
        if (n > maxSize) throw new IllegalArgumentException("Silu: " + n + " elements > maxSize " + maxSize);
        this.x = x;
        this.n = n;
        engine.siluForward(out, x, n);
        return out;
    }

    /** Returns the layer-owned dx (n), overwritten. Forward was: out = x·σ(x). */
    public float[] backward(float[] dout) {
        float[] xs = x;
        engine.siluBackward(dx, dout, xs, n);
        return dx;
    }
}
