package dip.layers;

import dip.tornado.kernels.OptimizerKernels;
import org.junit.jupiter.api.Test;

import static dip.layers.ParamRegistry.BIASES;
import static dip.layers.ParamRegistry.WEIGHTS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParamRegistryTest {

    @Test
    void parametersLieEndToEndInOneArrayPerBank() {
        ParamRegistry reg = new ParamRegistry();
        Param a = reg.add("l.weight", 2, 3), ab = reg.add("l.bias", 2), b = reg.add("m.weight", 4), bb = reg.add("m.bias", 1);
        assertEquals(WEIGHTS, a.bank());
        assertEquals(BIASES, ab.bank());
        assertEquals(0, a.offset());
        assertEquals(6, b.offset(), "after a, in the weights");
        assertEquals(0, ab.offset());
        assertEquals(2, bb.offset(), "after l.bias, in the biases");
        assertEquals(13, reg.count());
        assertEquals(10, reg.count(WEIGHTS));
        assertEquals(3, reg.count(BIASES));
        b.set(2, 7f);
        assertEquals(7f, reg.data(WEIGHTS)[6 + 2], 0f, "b's value 2 is at b's offset + 2");
        reg.grad(BIASES)[2] = 3f;
        assertEquals(3f, bb.gradAt(0), 0f);
        assertArrayEquals(new float[] {3f}, bb.gradValues(), 0f);
        reg.zeroGrad();
        assertEquals(0f, reg.grad(BIASES)[2], 0f);
        assertSame(a.array(), b.array());
        assertSame(a.gradArray(), b.gradArray());
        assertNotSame(a.array(), ab.array(), "a weight and its bias never share an array: one kernel gets both");
    }

    @Test
    void valuesSetBeforeTheLayoutMoveIntoIt() {
        ParamRegistry reg = new ParamRegistry();
        Param a = reg.add("a", 2);
        a.fill(1f);                                         // as RmsNorm's constructor does
        Param b = reg.add("b", 3);                          // still allowed: the arrays do not exist yet
        b.load(new float[] {4f, 5f, 6f});
        assertEquals(5f, b.get(1), 0f);
        assertArrayEquals(new float[] {1f, 1f, 4f, 5f, 6f}, reg.data(WEIGHTS), 0f);
        a.set(0, 9f);                                       // now into the array itself
        assertEquals(9f, reg.data(WEIGHTS)[0], 0f);
    }

    @Test
    void theLayoutIsFixedOnceTheArraysExistAndBadUseSaysSo() {
        ParamRegistry reg = new ParamRegistry();
        Param a = reg.add("a", 2);
        reg.data(BIASES);
        var e = assertThrows(IllegalStateException.class, () -> reg.add("b", 1));
        assertTrue(e.getMessage().contains("b") && e.getMessage().contains("laid out"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> reg.add("a", 1), "a duplicate name");
        assertThrows(IllegalArgumentException.class, () -> a.load(new float[3]), "wrong length");
        assertThrows(IndexOutOfBoundsException.class, () -> a.get(2));
        assertThrows(IllegalArgumentException.class, () -> new ParamRegistry().add("z", 3, 0));
    }

    @Test
    void aModelTooBigForOneJavaArrayIsRefusedWhenBuilt() {
        ParamRegistry reg = new ParamRegistry();
        reg.add("big", 1 << 15, 1 << 15);                   // 2³⁰ scalars: counted, never allocated
        var e = assertThrows(IllegalStateException.class, () -> reg.add("bigger", 1 << 15, 1 << 15));
        assertTrue(e.getMessage().contains("smaller preset"), e.getMessage());
    }

    @Test
    void normSpansCutEachParameterAndNeverCrossTwo() {
        int K = OptimizerKernels.CHUNK;
        ParamRegistry reg = new ParamRegistry();
        reg.add("a", 2 * K + 5);
        reg.add("a.bias", 7);
        reg.add("b", 3);
        reg.add("c", K);
        assertArrayEquals(new int[] {0, K, 2 * K, 2 * K + 5, 2 * K + 8, 3 * K + 8}, reg.chunkBounds(WEIGHTS));
        assertArrayEquals(new int[] {0, 7}, reg.chunkBounds(BIASES));
        float[] g = reg.grad(WEIGHTS);
        for (int i = 0; i < g.length; i++) g[i] = (i % 7) - 3;
        int[] bounds = reg.chunkBounds(WEIGHTS);
        float[] spans = new float[bounds.length - 1];
        OptimizerKernels.sumSquaresSpans(spans, 0, g, bounds, 0, spans.length);
        float total = 0f, perParam = 0f;
        for (float s : spans) total += s;
        for (Param p : reg.all()) {                         // each weight on its own, in CHUNK pieces
            if (p.bank() != WEIGHTS) continue;
            for (int j0 = 0; j0 < p.size(); j0 += K) {
                float acc = 0f;
                for (int j = j0; j < Math.min(p.size(), j0 + K); j++) acc += p.gradAt(j) * p.gradAt(j);
                perParam += acc;
            }
        }
        assertEquals(Float.floatToIntBits(perParam), Float.floatToIntBits(total), "same sums in the same order");
    }
}
