package dip.layers;

import dip.tornado.exec.Engine;


/**
 * The DiP block's MLP (official FeedForward): out = w2(silu(w1 x) · w3 x), no biases. x, out: (R, D);
 * w1, w3: (hidden, D); w2: (D, hidden); hidden = int(2/3 · 4D) in the model (DipConfig.mlpHidden()).
 * Parameters {@code <name>.w1.weight}, {@code <name>.w3.weight}, {@code <name>.w2.weight}, registered in that order.
 */
public final class SwiGlu {
    private final Engine engine;
    private final Linear w1, w3, w2;
    private final int D, hidden;
    private final float[] h;          // (maxRows, hidden): silu(a)·b, the input of w2
    private final float[] da, db;     // (maxRows, hidden)
    private final float[] dx;         // (maxRows, D)
    private float[] a, b;             // backward cache: w1 x and w3 x (owned by w1 and w3)
    private int R;

    public SwiGlu(Engine engine, ParamRegistry reg, String name, int D, int hidden, int maxRows) {
        this(engine, reg, name, D, hidden, maxRows, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}). */
    public SwiGlu(Engine engine, ParamRegistry reg, String name, int D, int hidden, int maxRows, Buffers buf) {
        this.engine = engine;
        this.D = D;
        this.hidden = hidden;
        w1 = new Linear(engine, reg, name + ".w1", D, hidden, false, maxRows, buf);
        w3 = new Linear(engine, reg, name + ".w3", D, hidden, false, maxRows, buf);
        w2 = new Linear(engine, reg, name + ".w2", hidden, D, false, maxRows, buf);
        h = buf.act(maxRows * hidden);
        da = buf.grad(maxRows * hidden);
        db = buf.grad(maxRows * hidden);
        dx = buf.grad(maxRows * D);
    }

    public int hidden() { return hidden; }

    /** Returns the output (R, D), owned by w2 and valid until the next forward. */
    public float[] forward(float[] x, int R) {
        this.R = R;
        float[] av = w1.forward(x, R);                                  // a = w1 x   (R, hidden)
        float[] bv = w3.forward(x, R);                                  // b = w3 x   (R, hidden)
        a = av;
        b = bv;
        engine.swigluForward(h, av, bv, R * hidden); // h = silu(a)·b
        return w2.forward(h, R);                                        // out = w2 h (R, D)
    }

    /** Accumulates dw1, dw3, dw2; returns the layer-owned dx (R, D), overwritten. */
    public float[] backward(float[] dout) {
        // forward was: out = w2 h
        float[] dh = w2.backward(dout);
        // forward was: h = silu(a)·b
        int n = R * hidden;
        float[] av = a, bv = b;
        engine.swigluBackward(da, db, dh, av, bv, n);
        // forward was: a = w1 x, b = w3 x: x feeds both, so dx = dx(w1) + dx(w3)
        float[] dx1 = w1.backward(da);
        float[] dx3 = w3.backward(db);
        engine.add(dx, dx1, dx3, R * D);
        return dx;
    }
}
