package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SiluTest {

    @Test
    void forwardAndInputGradient() {
        try (var engine = new JavaEngine(2)) {
            var silu = new Silu(engine, 40);
            var rng = new Rng(1);
            int n = 35;
            float[] x = rng.normal(n), dout = rng.normal(n);
            float[] out = silu.forward(x, n);
            assertEquals(x[3] / (1 + Math.exp(-x[3])), out[3], Tol.FWD_F32);
            float[] dx = silu.backward(dout).clone();
            GradCheck.assertDirectional("x", xs -> GradCheck.dot(silu.forward(xs, n), dout, n), x, dx, rng, 1e-2, Tol.GRAD_REL);
            assertThrows(IllegalArgumentException.class, () -> silu.forward(new float[41], 41));
        }
    }
}
