package dip.layers;

import dip.tornado.exec.Engine;

import java.util.Arrays;

/**
 * Class-label embedding (DiT LabelEmbedder): {@code <name>.embedding_table.weight} (numClasses + 1, D); the last
 * row, index numClasses, is the null class used for classifier-free guidance. Dropping labels to the null class
 * is the trainer's job (it draws the randomness); this layer only looks rows up. y: (B) ints; output (B, D).
 */
public final class LabelEmbedder {
    public final Param table;
    private final Engine engine;
    private final int numClasses, D, maxBatch;
    private final int[] labels;       // (maxBatch): a copy of the last labels, for backward
    private final float[] out;        // (maxBatch, D)
    private int B;

    public LabelEmbedder(Engine engine, ParamRegistry reg, String name, int numClasses, int D, int maxBatch) {
        this(engine, reg, name, numClasses, D, maxBatch, Buffers.training());
    }

    /** With the buffers of {@code buf}'s mode (see {@link Buffers}): out and the label copy are act buffers. */
    public LabelEmbedder(Engine engine, ParamRegistry reg, String name, int numClasses, int D, int maxBatch, Buffers buf) {
        this.engine = engine;
        this.numClasses = numClasses;
        this.D = D;
        this.maxBatch = maxBatch;
        table = reg.add(name + ".embedding_table.weight", numClasses + 1, D);
        labels = buf.actInt(maxBatch);
        out = buf.act(maxBatch * D);
    }

    /** The null (unconditional) label. */
    public int nullClass() { return numClasses; }

    /** Returns y_emb (B, D), layer-owned. Throws if a label is outside [0, numClasses]. */
    public float[] forward(int[] y, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("LabelEmbedder: batch " + B + " > maxBatch " + maxBatch);
        for (int b = 0; b < B; b++) {
            if (y[b] < 0 || y[b] > numClasses) {
                throw new IllegalArgumentException("label " + y[b] + " at batch index " + b + " is outside [0, "
                        + numClasses + "] (classes 0.." + (numClasses - 1) + ", null class " + numClasses + ")");
            }
        }
        engine.copySliceInt(labels, 0, y, 0, B);           // a kernel, so a device engine copies on the device
        this.B = B;
        engine.embeddingForward(out, table.array(), table.offset(), labels, B, D);
        return out;
    }

    /** Accumulates into the table's grad from dL/dy_emb (B, D). Forward was: out[b] = table[y[b]]. */
    public void backward(float[] dout) {
        int batch = B;
        engine.embeddingBackward(table.gradArray(), table.offset(), dout, labels, numClasses + 1, batch, D);
    }

    /** The labels of the last forward (a copy; for tests and logs). */
    public int[] lastLabels() { return Arrays.copyOf(labels, B); }
}
