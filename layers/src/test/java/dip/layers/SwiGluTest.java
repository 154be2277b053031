package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SwiGluTest {

    @Test
    void registersOfficialNamesAndShapes() {
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(1)) {
            new SwiGlu(engine, reg, "blocks.0.mlp", 12, 32, 4);
        }
        assertEquals(3, reg.size());
        assertArrayEquals(new int[]{32, 12}, reg.get("blocks.0.mlp.w1.weight").shape());
        assertArrayEquals(new int[]{32, 12}, reg.get("blocks.0.mlp.w3.weight").shape());
        assertArrayEquals(new int[]{12, 32}, reg.get("blocks.0.mlp.w2.weight").shape());
    }

    @Test
    void knownCase() {
        // D = hidden = 1, w1 = 2, w3 = 3, w2 = 0.5, x = 1: a = 2, b = 3, silu(2) = 1.7615942 -> 0.5·3·1.7615942.
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(1)) {
            var mlp = new SwiGlu(engine, reg, "mlp", 1, 1, 1);
            reg.get("mlp.w1.weight").set(0, 2);
            reg.get("mlp.w3.weight").set(0, 3);
            reg.get("mlp.w2.weight").set(0, 0.5f);
            assertEquals(2.6423913f, mlp.forward(new float[]{1}, 1)[0], Tol.FWD_F32);
        }
    }

    @Test
    void gradientsWrtInputAndEveryWeight() {
        var rng = new Rng(5);
        int R = 5, D = 7, hidden = 9;
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(2)) {
            var mlp = new SwiGlu(engine, reg, "mlp", D, hidden, R);
            LayerChecks.randomize(reg, rng, 0.5f);
            float[] x = rng.normal(R * D), dout = rng.normal(R * D);
            mlp.forward(x, R);
            float[] dx = mlp.backward(dout).clone();
            GradCheck.assertDirectional("x", xs -> GradCheck.dot(mlp.forward(xs, R), dout, R * D), x, dx, rng, 1e-2, Tol.GRAD_REL);
            for (Param p : reg.all()) {
                LayerChecks.assertParamGrad(p, () -> GradCheck.dot(mlp.forward(x, R), dout, R * D), rng);
            }
        }
    }
}
