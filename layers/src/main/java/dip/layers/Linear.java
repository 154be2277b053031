package dip.layers;

import dip.tornado.exec.Engine;


/**
 * y = x Wᵀ + b, same layout as torch.nn.Linear. x: (R, in), W: (out, in), b: (out), y: (R, out).
 * Holds its output and input-gradient buffers, sized for {@code maxRows} at construction, and a reference to the
 * last input as its backward cache. A Linear without bias registers no bias parameter (it multiplies by zeros).
 */
public final class Linear {
    public final Param weight, bias;              // bias == null when hasBias is false
    private final Engine engine;
    private final int in, out, maxRows;
    private final float[] zeroBias, scratchDb;   // for hasBias == false: kernels take no null arrays
    private final float[] y, dx;                 // (maxRows, out), (maxRows, in)
    private float[] x;                           // backward cache: the last input (a reference, not a copy)
    private int R;

    public Linear(Engine engine, ParamRegistry reg, String name, int in, int out, boolean hasBias, int maxRows) {
        this(engine, reg, name, in, out, hasBias, maxRows, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): y is an act buffer, dx a grad buffer. */
    public Linear(Engine engine, ParamRegistry reg, String name, int in, int out, boolean hasBias, int maxRows, Buffers buf) {
        this(engine, reg.add(name + ".weight", out, in), hasBias ? reg.add(name + ".bias", out) : null, in, out, maxRows, buf);
    }

    /**
     * A bias-free Linear over weights already registered: {@code first} and the parameters registered right after it,
     * read from first's offset as one (out, in) matrix. SwiGlu multiplies by its w1 and w3 this way, as [w1; w3]; the
     * caller checks that they lie end to end.
     */
    static Linear stacked(Engine engine, Param first, int in, int out, int maxRows, Buffers buf) {
        return new Linear(engine, first, null, in, out, maxRows, buf);
    }

    private Linear(Engine engine, Param weight, Param bias, int in, int out, int maxRows, Buffers buf) {
        this.engine = engine;
        this.in = in;
        this.out = out;
        this.maxRows = maxRows;
        this.weight = weight;
        this.bias = bias;
        boolean hasBias = bias != null;
        zeroBias = hasBias ? null : buf.constant(out);
        scratchDb = hasBias ? null : buf.grad(out);
        y = buf.act(maxRows * out);
        dx = buf.grad(maxRows * in);
    }

    public int in() { return in; }

    public int out() { return out; }

    /** Returns the layer-owned output (R, out), valid until the next forward. */
    public float[] forward(float[] x, int R) {
        if (R > maxRows) throw new IllegalArgumentException("Linear " + weight.name() + ": " + R + " rows > maxRows " + maxRows);
        this.x = x;
        this.R = R;
        if (bias == null) engine.matmulForward(y, x, weight.array(), weight.offset(), zeroBias, 0, R, in, out);
        else engine.matmulForward(y, x, weight.array(), weight.offset(), bias.array(), bias.offset(), R, in, out);
        return y;
    }

    /** Accumulates dW, db; returns the layer-owned dx (R, in), overwritten. */
    public float[] backward(float[] dy) {
        engine.matmulBackwardInput(dx, dy, weight.array(), weight.offset(), R, in, out);
        backwardParams(dy);
        return dx;
    }

    /** Accumulates dW and db only, for a layer whose input needs no gradient (it is data, not a result). */
    public void backwardParams(float[] dy) {
        float[] dw = weight.gradArray();
        if (bias == null) engine.matmulBackwardWeight(dw, weight.offset(), scratchDb, 0, dy, x, R, in, out);
        else engine.matmulBackwardWeight(dw, weight.offset(), bias.gradArray(), bias.offset(), dy, x, R, in, out);
    }

    /** The output buffer (for callers that read the last forward's result again). */
    public float[] output() { return y; }
}
