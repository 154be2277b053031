package dip.layers;

import java.util.ArrayList;
import java.util.List;

/**
 * Which activation and gradient buffers a model's layers allocate, chosen once when the model is built. Layers ask
 * for each buffer by its role:
 * <ul>
 *   <li>{@link #act}: written by forward (an output, a forward scratch, or a cache the forward kernels fill);</li>
 *   <li>{@link #grad}: read or written only by backward (input gradients, d-scratch);</li>
 *   <li>{@link #constant}: filled at construction and only read afterwards (RoPE tables, a zero bias).</li>
 * </ul>
 * Modes:
 * <ul>
 *   <li>{@link Mode#TRAINING}: every buffer, each layer its own: forward then backward.</li>
 *   <li>{@link Mode#INFERENCE}: no gradient buffers; and layers that run one after another and never need each other's
 *       intermediates can share: {@link #repeats()} gives the DiT blocks one set between them (block i + 1 reads only
 *       block i's output, which it overwrites last), and {@link #slot} gives buffers that are consumed at once (a
 *       conv's pre-activation output) one array. A model built so runs forward only; backward throws.</li>
 *   <li>{@link Mode#SHAPES}: no buffers at all (zero-length arrays): the model registers its parameters (whose arrays
 *       are allocated only on first use, see {@link Param}) for counting them and checking checkpoint shapes.</li>
 * </ul>
 */
public final class Buffers {
    public enum Mode { TRAINING, INFERENCE, SHAPES }

    private static final float[] NONE = new float[0];
    private static final int[] NONE_INT = new int[0];

    private final Mode mode;
    private final List<float[]> pool;        // INFERENCE repeats(): the k-th act() since restart() is pool[k]
    private final float[] slot;              // INFERENCE slot(): every act() is this array
    private int next;

    private Buffers(Mode mode, List<float[]> pool, float[] slot) {
        this.mode = mode;
        this.pool = pool;
        this.slot = slot;
    }

    public static Buffers training() { return new Buffers(Mode.TRAINING, null, null); }

    public static Buffers inference() { return new Buffers(Mode.INFERENCE, null, null); }

    public static Buffers shapes() { return new Buffers(Mode.SHAPES, null, null); }

    public Mode mode() { return mode; }

    /** Whether a model built with these buffers can run backward. */
    public boolean backward() { return mode == Mode.TRAINING; }

    /** Whether a model built with these buffers can run forward. */
    public boolean forward() { return mode != Mode.SHAPES; }

    /** A buffer that forward writes: n floats (SHAPES: none; a shared one in a repeats() or slot() view). */
    public float[] act(int n) {
        if (mode == Mode.SHAPES) return NONE;
        if (slot != null) {
            if (n > slot.length) throw new IllegalStateException("a slot of " + slot.length + " floats was asked for " + n);
            return slot;
        }
        if (pool == null) return new float[n];
        if (next == pool.size()) pool.add(new float[n]);
        float[] a = pool.get(next);
        if (a.length < n) pool.set(next, a = new float[n]);
        next++;
        return a;
    }

    /** An int buffer that forward writes (a max-pool's argmax): never shared. */
    public int[] actInt(int n) { return mode == Mode.SHAPES ? NONE_INT : new int[n]; }

    /** A buffer only backward uses: n floats when training, else none. */
    public float[] grad(int n) { return mode == Mode.TRAINING ? new float[n] : NONE; }

    /** A buffer filled at construction and read afterwards: never shared (SHAPES: none). */
    public float[] constant(int n) { return mode == Mode.SHAPES ? NONE : new float[n]; }

    /**
     * For a run of identical sub-networks that execute one after another (the DiT blocks): in INFERENCE a view whose
     * k-th {@link #act} after each {@link #restart()} returns the same array, so all of them share one set; the
     * other modes return this.
     */
    public Buffers repeats() { return mode == Mode.INFERENCE ? new Buffers(mode, new ArrayList<>(), null) : this; }

    /** Call before building each repeat, so its k-th buffer is the k-th of the shared set. */
    public void restart() { next = 0; }

    /**
     * For buffers that are consumed right after they are written, by layers that run one at a time: in INFERENCE a view
     * whose every {@link #act} returns one array of {@code maxN} floats; the other modes return this.
     */
    public Buffers slot(int maxN) { return mode == Mode.INFERENCE ? new Buffers(mode, null, new float[maxN]) : this; }
}
