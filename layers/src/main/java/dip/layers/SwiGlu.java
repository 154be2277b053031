package dip.layers;

import dip.tornado.exec.Engine;


/**
 * The DiP block's MLP (official FeedForward): out = w2(silu(w1 x) · w3 x), no biases. x, out: (R, D);
 * w1, w3: (hidden, D); w2: (D, hidden); hidden = int(2/3 · 4D) in the model (DipConfig.mlpHidden()).
 * Parameters {@code <name>.w1.weight}, {@code <name>.w3.weight}, {@code <name>.w2.weight}, registered in that order.
 * <p>w1 and w3 read the same x, and being registered one after the other they lie end to end in the model's weight
 * array: there they are one (2·hidden, D) matrix [w1; w3], so a single matmul computes a = w1 x and b = w3 x side by
 * side (ab, row r = [a_r | b_r]), a single one their weight gradients, and a single one x's gradient through both
 * (which two Linears would leave as two products and an addition).
 */
public final class SwiGlu {
    public final Param w1, w3;        // (hidden, D) each; w3 right after w1 in the same array
    private final Linear w2;
    private final Engine engine;
    private final int D, hidden, maxRows;
    private final float[] noBias, scratchDb;   // (2·hidden) the w1|w3 matmul has no bias: zeros, and a sink for db
    private final float[] ab;         // (maxRows, 2·hidden): [w1 x | w3 x]
    private final float[] h;          // (maxRows, hidden): silu(a)·b, the input of w2
    private final float[] dab;        // (maxRows, 2·hidden)
    private final float[] dx;         // (maxRows, D)
    private float[] x;                // backward cache: the last input (a reference)
    private int R;

    public SwiGlu(Engine engine, ParamRegistry reg, String name, int D, int hidden, int maxRows) {
        this(engine, reg, name, D, hidden, maxRows, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}). */
    public SwiGlu(Engine engine, ParamRegistry reg, String name, int D, int hidden, int maxRows, Buffers buf) {
        this.engine = engine;
        this.D = D;
        this.hidden = hidden;
        this.maxRows = maxRows;
        w1 = reg.add(name + ".w1.weight", hidden, D);
        w3 = reg.add(name + ".w3.weight", hidden, D);
        if (w3.bank() != w1.bank() || w3.offset() != w1.offset() + hidden * D) {
            throw new IllegalStateException("SwiGlu " + name + ": w3 is not right after w1 in the parameter arrays");
        }
        w2 = new Linear(engine, reg, name + ".w2", hidden, D, false, maxRows, buf);
        noBias = buf.constant(2 * hidden);
        scratchDb = buf.grad(2 * hidden);
        ab = buf.act(maxRows * 2 * hidden);
        h = buf.act(maxRows * hidden);
        dab = buf.grad(maxRows * 2 * hidden);
        dx = buf.grad(maxRows * D);
    }

    public int hidden() { return hidden; }

    /** Returns the output (R, D), owned by w2 and valid until the next forward. */
    public float[] forward(float[] x, int R) {
        if (R > maxRows) throw new IllegalArgumentException("SwiGlu " + w1.name() + ": " + R + " rows > maxRows " + maxRows);
        this.x = x;
        this.R = R;
        engine.matmulForward(ab, x, w1.array(), w1.offset(), noBias, 0, R, D, 2 * hidden);   // [a | b] = x [w1; w3]ᵀ
        engine.swigluForward(h, ab, R, hidden);                                               // h = silu(a)·b
        return w2.forward(h, R);                                                              // out = w2 h (R, D)
    }

    /** Accumulates dw1, dw3, dw2; returns the layer-owned dx (R, D), overwritten. */
    public float[] backward(float[] dout) {
        // forward was: out = w2 h
        float[] dh = w2.backward(dout);
        // forward was: h = silu(a)·b
        engine.swigluBackward(dab, dh, ab, R, hidden);
        // forward was: [a | b] = x [w1; w3]ᵀ: dx = da·w1 + db·w3 in one product
        float[] xs = x;
        engine.matmulBackwardInput(dx, dab, w1.array(), w1.offset(), R, D, 2 * hidden);
        engine.matmulBackwardWeight(w1.gradArray(), w1.offset(), scratchDb, 0, dab, xs, R, D, 2 * hidden);
        return dx;
    }
}
