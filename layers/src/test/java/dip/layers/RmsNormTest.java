package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RmsNorm and LayerNormNoAffine layers: registration, a known case, whole-layer gradient checks. */
class RmsNormTest {

    @Test
    void registersWeightOfOnes() {
        var reg = new ParamRegistry();
        var norm = new RmsNorm(new JavaEngine(1), reg, "blocks.0.norm1", 5, 1e-6f, 4);
        assertEquals(List.of("blocks.0.norm1.weight"), reg.all().stream().map(Param::name).toList());
        assertArrayEquals(new int[]{5}, norm.weight.shape());
        assertArrayEquals(new float[]{1, 1, 1, 1, 1}, norm.weight.values(), 0f);
    }

    @Test
    void knownCaseWithDefaultWeight() {
        // x = [1, 2, 2], eps 1: rsqrt(3 + 1) = 1/2, weight ones -> [0.5, 1, 1].
        var norm = new RmsNorm(new JavaEngine(1), new ParamRegistry(), "n", 3, 1f, 1);
        assertArrayEquals(new float[]{0.5f, 1f, 1f}, norm.forward(new float[]{1, 2, 2}, 1), Tol.FWD_F32);
    }

    @Test
    void gradientsWrtInputAndWeight() {
        var rng = new Rng(11);
        int R = 5, D = 7;
        var reg = new ParamRegistry();
        var norm = new RmsNorm(new JavaEngine(2), reg, "n", D, 1e-6f, R);
        LayerChecks.randomize(reg, rng, 1f);
        float[] x = rng.normal(R * D), dout = rng.normal(R * D);
        norm.forward(x, R);
        float[] dx = norm.backward(dout).clone();
        LayerChecks.checkAll("RmsNorm", xs -> norm.forward(xs, R), x, dout, R * D, dx, reg.all(), rng);
    }

    @Test
    void tooManyRowsThrows() {
        var norm = new RmsNorm(new JavaEngine(1), new ParamRegistry(), "n", 3, 1e-6f, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> norm.forward(new float[9], 3));
        assertEquals("RmsNorm n.weight: 3 rows > maxRows 2", e.getMessage());
    }

    @Test
    void layerNormNoAffineKnownCaseAndGradient() {
        // x = [0, 3, 6], eps 3: mean 3, var 6, rstd 1/3 -> [-1, 0, 1].
        var ln1 = new LayerNormNoAffine(new JavaEngine(1), 3, 3f, 1);
        assertArrayEquals(new float[]{-1f, 0f, 1f}, ln1.forward(new float[]{0, 3, 6}, 1), Tol.FWD_F32);

        var rng = new Rng(12);
        int R = 3, D = 5;
        var ln = new LayerNormNoAffine(new JavaEngine(2), D, 1e-6f, R);
        float[] x = rng.normal(R * D), dout = rng.normal(R * D);
        ln.forward(x, R);
        float[] dx = ln.backward(dout).clone();
        LayerChecks.checkAll("LayerNormNoAffine", xs -> ln.forward(xs, R), x, dout, R * D, dx, List.of(), rng);
    }
}
