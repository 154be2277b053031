package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LabelEmbedderTest {

    @Test
    void looksUpRowsIncludingTheNullClass() {
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(2)) {
            var emb = new LabelEmbedder(engine, reg, "y_embedder", 3, 2, 4);
            Param table = reg.get("y_embedder.embedding_table.weight");
            assertArrayEquals(new int[]{4, 2}, table.shape());                   // numClasses + 1 rows
            for (int i = 0; i < 8; i++) table.set(i, i);                      // row c = [2c, 2c + 1]
            assertEquals(3, emb.nullClass());
            float[] out = emb.forward(new int[]{3, 0, 2}, 3);
            assertArrayEquals(new float[]{6, 7, 0, 1, 4, 5}, java.util.Arrays.copyOf(out, 6), 0f);
        }
    }

    @Test
    void rejectsLabelsOutsideTheRangeNamingTheLabelAndTheRange() {
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(1)) {
            var emb = new LabelEmbedder(engine, reg, "y_embedder", 10, 2, 4);
            var e = assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[]{1, 11}, 2));
            assertTrue(e.getMessage().contains("label 11") && e.getMessage().contains("[0, 10]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[]{-1}, 1));
            assertTrue(e.getMessage().contains("label -1"), e.getMessage());
            emb.forward(new int[]{10, 0}, 2);                                    // the null class is valid
        }
    }

    @Test
    void gradientWrtTableWithRepeatedLabels() {
        var rng = new Rng(17);
        int classes = 4, D = 3, B = 5;
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(2)) {
            var emb = new LabelEmbedder(engine, reg, "y_embedder", classes, D, B);
            LayerChecks.randomize(reg, rng, 1f);
            int[] y = {4, 1, 1, 0, 4};
            float[] dout = rng.normal(B * D);
            emb.forward(y, B);
            emb.backward(dout);
            float[] g = reg.get("y_embedder.embedding_table.weight").gradValues();
            for (int d = 0; d < D; d++) {
                assertEquals(dout[D + d] + dout[2 * D + d], g[D + d], 1e-6f, "row 1 sums two samples");
                assertEquals(0f, g[2 * D + d], 0f, "row 2 is unused");
            }
            LayerChecks.assertParamGrad(reg.get("y_embedder.embedding_table.weight"),
                    () -> GradCheck.dot(emb.forward(y, B), dout, B * D), rng);
        }
    }
}
