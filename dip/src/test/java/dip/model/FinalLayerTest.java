package dip.model;

import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The DiT-only final layer: size at XL, the hand-worked modulation, and gradient checks. */
class FinalLayerTest {
    private static final JavaEngine ENGINE = new JavaEngine(2);

    @AfterAll
    static void close() { ENGINE.close(); }

    @Test
    void xlHasTheOfficialParameterCountAndNames() {
        // adaLN (2·1152)·1152 + 2·1152 = 2,656,512; linear 768·1152 + 768 = 885,504 (C·P² = 3·16·16 = 768).
        var reg = new ParamRegistry();
        new FinalLayer(ENGINE, reg, "final_layer", 1152, 3 * 16 * 16, 1, 1);
        assertEquals(3_542_016L, reg.count());
        assertEquals(List.of("final_layer.linear.weight", "final_layer.linear.bias",
                "final_layer.adaLN_modulation.0.weight", "final_layer.adaLN_modulation.0.bias"),
                reg.all().stream().map(Param::name).toList());
        assertArrayEquals(new int[]{768, 1152}, reg.get("final_layer.linear.weight").shape());
        assertArrayEquals(new int[]{2304, 1152}, reg.get("final_layer.adaLN_modulation.0.weight").shape());
    }

    @Test
    void knownCaseShiftComesBeforeScale() {
        // D = 2, one token, identity linear. x = [1, 3] -> LayerNorm -> [-1, 1] (eps 1e-6 makes it 0.9999995).
        // adaLN weight 0, bias = [shift0, shift1, scale0, scale1] = [10, 20, 1, -2]:
        // out = [-1·(1 + 1) + 10, 1·(1 − 2) + 20] = [8, 19].
        var reg = new ParamRegistry();
        var fl = new FinalLayer(ENGINE, reg, "final_layer", 2, 2, 1, 1);
        fl.linear.weight.set(0, 1);
        fl.linear.weight.set(3, 1);
        fl.adaLn.bias.load(new float[]{10, 20, 1, -2});
        float[] out = fl.forward(new float[]{1, 3}, new float[]{0.3f, -0.7f}, 1);
        assertEquals(8f, out[0], 1e-5f);
        assertEquals(19f, out[1], 1e-5f);
    }

    @Test
    void gradientsWrtXCAndEveryParameter() {
        var rng = new Rng(6);
        int D = 7, out = 5, N = 3, B = 3;
        var reg = new ParamRegistry();
        var fl = new FinalLayer(ENGINE, reg, "final_layer", D, out, N, B);
        DitChecks.randomize(reg, rng, 0.4f);
        float[] x = rng.normal(B * N * D), c = rng.normal(B * D), dout = rng.normal(B * N * out);
        fl.forward(x, c, B);
        float[] dc = new float[B * D];
        float[] dx = fl.backward(dout, dc).clone();
        GradCheck.assertDirectional("x", xs -> GradCheck.dot(fl.forward(xs, c, B), dout, B * N * out),
                x, dx, rng, 1e-2, Tol.GRAD_REL);
        GradCheck.assertDirectional("c", cs -> GradCheck.dot(fl.forward(x, cs, B), dout, B * N * out),
                c, Arrays.copyOf(dc, B * D), rng, 1e-2, Tol.GRAD_REL);
        for (Param p : reg.all()) {
            DitChecks.assertParamGrad(p, () -> GradCheck.dot(fl.forward(x, c, B), dout, B * N * out), rng, 1e-2);
        }
    }
}
