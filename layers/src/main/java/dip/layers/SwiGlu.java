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
    private final Linear w13, w2;     // w13: [w1; w3], (2·hidden, D), no bias
    private final Engine engine;
    private final int hidden;
    private final float[] h;          // (maxRows, hidden): silu(a)·b, the input of w2
    private final float[] dab;        // (maxRows, 2·hidden)
    private int R;

    public SwiGlu(Engine engine, ParamRegistry reg, String name, int D, int hidden, int maxRows) {
        this(engine, reg, name, D, hidden, maxRows, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}). */
    public SwiGlu(Engine engine, ParamRegistry reg, String name, int D, int hidden, int maxRows, Buffers buf) {
        this.engine = engine;
        this.hidden = hidden;
        w1 = reg.add(name + ".w1.weight", hidden, D);
        w3 = reg.add(name + ".w3.weight", hidden, D);
        if (w3.bank() != w1.bank() || w3.offset() != w1.offset() + hidden * D) {
            throw new IllegalStateException("SwiGlu " + name + ": w3 is not right after w1 in the parameter arrays");
        }
        w13 = Linear.stacked(engine, w1, D, 2 * hidden, maxRows, buf);
        w2 = new Linear(engine, reg, name + ".w2", hidden, D, false, maxRows, buf);
        h = buf.act(maxRows * hidden);
        dab = buf.grad(maxRows * 2 * hidden);
    }

    public int hidden() { return hidden; }

    /** Returns the output (R, D), owned by w2 and valid until the next forward. */
    public float[] forward(float[] x, int R) {
        this.R = R;
        float[] ab = w13.forward(x, R);                                 // [a | b] = x [w1; w3]ᵀ   (R, 2·hidden)
        engine.swigluForward(h, ab, R, hidden);                         // h = silu(a)·b
        return w2.forward(h, R);                                        // out = w2 h (R, D)
    }

    /** Accumulates dw1, dw3, dw2; returns the layer-owned dx (R, D), overwritten. */
    public float[] backward(float[] dout) {
        // forward was: out = w2 h
        float[] dh = w2.backward(dout);
        // forward was: h = silu(a)·b
        engine.swigluBackward(dab, dh, w13.output(), R, hidden);
        // forward was: [a | b] = x [w1; w3]ᵀ: dx = da·w1 + db·w3 in one product
        return w13.backward(dab);
    }
}
