package dip.layers;

import dip.tornado.exec.Engine;
import dip.tornado.kernels.OptimizerKernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All parameters of a model in construction order, by their official state_dict names, laid end to end in flat
 * arrays (llm.c's params_memory and grads_memory): parameter i starts where the one before it in the same array
 * ends. AdamW, EMA, the gradient norm, zeroing and a device's copies each treat the model as a few arrays: one
 * kernel launch per array, not one per parameter.
 * <p>
 * There are two banks, each a value array and a gradient array: {@link #BIASES} for every parameter named
 * {@code *.bias}, {@link #WEIGHTS} for the rest. A kernel that takes a weight and its bias then gets two arrays,
 * never one array twice (a TornadoVM task cannot take one array as two arguments).
 * <p>
 * The arrays are made on first use ({@link #data(int)}, {@link #grad(int)}), so counting the parameters of DiP-XL
 * needs no memory, and sampling never makes the gradients. Once they exist the layout is fixed and {@link #add}
 * refuses.
 */
public final class ParamRegistry {
    /** The banks: which pair of flat arrays a parameter lives in. */
    public static final int WEIGHTS = 0, BIASES = 1, BANKS = 2;

    /** The most scalars one Java array holds (a little under 2³¹, as the JDK's own collections keep). */
    static final long MAX_SCALARS = Integer.MAX_VALUE - 8;

    private final Map<String, Param> byName = new LinkedHashMap<>();
    private final long[] counts = new long[BANKS];  // scalars so far per bank: the next parameter's offset there
    private float[][] data, grad;                   // [bank][scalar], made on first use

    /** Creates and registers a zero-filled parameter; a duplicate name is a programming error. */
    public Param add(String name, int... shape) {
        if (byName.containsKey(name)) throw new IllegalStateException("parameter registered twice: " + name);
        if (data != null) {
            throw new IllegalStateException("parameter " + name + " added after the parameter arrays were laid out: "
                    + "build every layer before reading or training any weight");
        }
        int size = Param.sizeOf(name, shape);
        int bank = name.endsWith(".bias") ? BIASES : WEIGHTS;
        if (counts[bank] + size > MAX_SCALARS) {
            throw new IllegalStateException("the model has more than " + MAX_SCALARS + " parameters (adding " + name
                    + "), more than one Java array holds: choose a smaller preset");
        }
        Param p = new Param(this, name, shape, bank, size, (int) counts[bank]);
        counts[bank] += size;
        byName.put(name, p);
        return p;
    }

    public List<Param> all() { return Collections.unmodifiableList(new ArrayList<>(byName.values())); }

    /** The named parameter, or null. */
    public Param get(String name) { return byName.get(name); }

    public int size() { return byName.size(); }

    /** Total number of scalars. */
    public long count() { return counts[WEIGHTS] + counts[BIASES]; }

    /** Number of scalars in one bank. */
    public int count(int bank) { return (int) counts[bank]; }

    /** The values of every parameter of a bank, end to end (made on first use, with values set before then moved in). */
    public float[] data(int bank) {
        if (data == null) {
            float[][] d = newBanks();
            for (Param p : byName.values()) p.moveInto(d);
            data = d;
        }
        return data[bank];
    }

    /** The gradients of a bank, in the same layout as {@link #data(int)} (made on first use, zero). */
    public float[] grad(int bank) {
        if (grad == null) {
            data(WEIGHTS);          // fixes the layout, moving early values in
            grad = newBanks();
        }
        return grad[bank];
    }

    /** Every value array, bank by bank (for an engine's download and upload). */
    public Object[] dataArrays() {
        Object[] a = new Object[BANKS];
        for (int b = 0; b < BANKS; b++) a[b] = data(b);
        return a;
    }

    /** Whether the value arrays exist (the layout is fixed). */
    boolean laidOut() { return data != null; }

    public void zeroGrad() {
        if (grad != null) for (float[] g : grad) Arrays.fill(g, 0f);
    }

    /** Zeroes every gradient as kernel calls on the engine (one launch per bank), so a device zeroes its own copy. */
    public void zeroGrad(Engine engine) {
        for (int b = 0; b < BANKS; b++) engine.zero(grad(b), count(b));
    }

    /** One zeroed array per bank, sized to it. */
    private float[][] newBanks() {
        float[][] a = new float[BANKS][];
        for (int b = 0; b < BANKS; b++) a[b] = new float[(int) counts[b]];
        return a;
    }

    /**
     * Spans of a bank's gradient array for the squared gradient norm ({@link OptimizerKernels#sumSquaresSpans}):
     * each parameter cut into pieces of at most {@link OptimizerKernels#CHUNK} scalars, from its start; span c is
     * [bounds[c], bounds[c+1]). A span never crosses two parameters, so its sum is the one of that parameter alone.
     */
    public int[] chunkBounds(int bank) {
        List<Integer> b = new ArrayList<>();
        for (Param p : byName.values()) {
            if (p.bank() != bank) continue;
            for (int j = 0; j < p.size(); j += OptimizerKernels.CHUNK) b.add(p.offset() + j);
        }
        b.add((int) counts[bank]);
        int[] out = new int[b.size()];
        for (int i = 0; i < out.length; i++) out[i] = b.get(i);
        return out;
    }
}
