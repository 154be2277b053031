package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MseLossTest {

    @Test
    void meanOverAllElementsAndItsGradient() {
        try (var engine = new JavaEngine(2)) {
            var loss = new MseLoss(engine, 4, 3);
            // errors [1, -2, 0] and [0.5, 0.5, 3]: (5 + 9.5) / 6
            float[] pred = {1, 0, 2, 1, 1, 4}, target = {0, 2, 2, 0.5f, 0.5f, 1};
            assertEquals(14.5 / 6, loss.forward(pred, target, 2), 1e-7);

            var rng = new Rng(23);
            int B = 3, per = 3;
            float[] p = rng.normal(B * per), t = rng.normal(B * per);
            loss.forward(p, t, B);
            float[] dp = loss.backward().clone();
            GradCheck.assertDirectional("pred", ps -> loss.forward(ps, t, B), p, dp, rng, 1e-2, Tol.GRAD_REL);
        }
    }
}
