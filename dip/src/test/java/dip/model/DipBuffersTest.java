package dip.model;

import dip.layers.Buffers;
import dip.tornado.exec.JavaEngine;
import dip.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The three ways to build a model (dip.layers.Buffers): an inference model computes exactly what the training model
 * computes (bit for bit, over several forwards of different batches, though its blocks share one set of buffers and
 * its head shares its stage buffers) and refuses backward; a shapes-only model has the same parameters and allocates
 * next to nothing; and the inference model's buffers are a fraction of the training model's.
 */
class DipBuffersTest {
    static final JavaEngine ENGINE = new JavaEngine(2);

    @AfterAll static void close() { ENGINE.close(); }

    static DipConfig cfg(int image, int P, int D, int depth, HeadType head) {
        return new DipConfig(image, P, 3, D, depth, 2, 5, 4, head, false);
    }

    /** Bytes this thread allocated while running r (HotSpot's per-thread allocation counter). */
    static long allocated(Runnable r) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long a = mx.getCurrentThreadAllocatedBytes();
        r.run();
        return mx.getCurrentThreadAllocatedBytes() - a;
    }

    static void sameOutputs(DipConfig c) {
        int maxB = 3, per = c.channels() * c.imageSize() * c.imageSize();
        Dip train = Dip.create(ENGINE, c, maxB).initialize(new Rng(7));
        Dip infer = Dip.forInference(ENGINE, c, maxB).initialize(new Rng(7));
        assertEquals(Buffers.Mode.INFERENCE, infer.buffers());
        Rng rng = new Rng(3);
        for (int B : new int[]{3, 1, 2}) {                      // several forwards: shared buffers carry no state
            float[] x = rng.normal(B * per), t = new float[B];
            int[] y = new int[B];
            for (int b = 0; b < B; b++) { t[b] = rng.uniform(); y[b] = b % (c.numClasses() + 1); }
            float[] want = train.forward(x, t, y, B).clone(), got = infer.forward(x, t, y, B);
            for (int i = 0; i < B * per; i++) {
                if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                    throw new AssertionError(c + " B=" + B + ": v[" + i + "] training " + want[i] + ", inference " + got[i]);
                }
            }
        }
        assertThrows(IllegalStateException.class, () -> infer.backward(new float[maxB * per]));
    }

    @Test void inferenceForwardEqualsTrainingForwardBitForBit() {
        sameOutputs(cfg(16, 4, 16, 3, HeadType.DIP));             // generalised head, S = 2
        sameOutputs(cfg(32, 16, 16, 2, HeadType.DIP));            // official head, S = 4, 1×1 bottleneck
        sameOutputs(cfg(64, 32, 16, 2, HeadType.DIP));            // official P = 32 layout, 2×2 bottleneck
        sameOutputs(cfg(16, 4, 16, 3, HeadType.DIT_ONLY));
    }

    @Test void shapesOnlyModelHasTheSameParametersAndNoBuffers() {
        DipConfig c = cfg(32, 16, 16, 2, HeadType.DIP);
        var a = Dip.create(ENGINE, c, 2).params().all();
        var b = Dip.shapes(c).params().all();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).name(), b.get(i).name());
            assertArrayEquals(a.get(i).shape(), b.get(i).shape(), a.get(i).name());
        }
        Dip s = Dip.shapes(c);
        assertThrows(IllegalStateException.class, () -> s.forward(new float[3 * 32 * 32], new float[1], new int[1], 1));
        assertThrows(IllegalStateException.class, () -> s.backward(new float[3 * 32 * 32]));
    }

    @Test void countingXl16AllocatesNoBuffers() {
        long[] count = new long[1];
        long bytes = allocated(() -> count[0] = Dip.shapes(Preset.XL16.config()).params().count());
        assertEquals(631_989_411L, count[0]);
        // Only Param objects and the RMSNorm weights (filled with ones at construction): 26·2·(1152 + 72) floats.
        assertTrue(bytes < 8L << 20, "building XL/16 for its shapes allocated " + (bytes >> 20) + " MiB");
    }

    @Test void inferenceBuffersAreAFractionOfTrainingBuffers() {
        // Parameters are allocated lazily (not here, except the RMSNorm weights), so this measures buffers.
        DipConfig c = cfg(64, 16, 64, 8, HeadType.DIP);
        long train = allocated(() -> Dip.create(ENGINE, c, 4)), infer = allocated(() -> Dip.forInference(ENGINE, c, 4));
        assertTrue(infer * 4 < train, "inference buffers " + infer + " bytes vs training " + train);
    }

    @Test void xl16InferenceBuffersAtACfgBatchOfTwo() {
        // DiP-XL/16 at 256², batch 2 (one image with CFG): one block's activations (≈ 75 MB) and one head's (≈ 260 MB),
        // against ≈ 2 GB of block activations alone if every block kept its own.
        long bytes = allocated(() -> Dip.forInference(ENGINE, Preset.XL16.config(), 2));
        System.out.printf("DiP-XL/16 inference buffers at batch 2: %.1f MiB%n", bytes / 1048576.0);
        assertTrue(bytes < 400L << 20, "DiP-XL/16 inference buffers at batch 2: " + (bytes >> 20) + " MiB");
    }
}
