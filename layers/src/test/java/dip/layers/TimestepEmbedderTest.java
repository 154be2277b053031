package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TimestepEmbedderTest {

    @Test
    void registersOfficialNames() {
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(1)) {
            new TimestepEmbedder(engine, reg, "t_embedder", 8, 2);
        }
        assertEquals("[t_embedder.mlp.0.weight[8, 256], t_embedder.mlp.0.bias[8], t_embedder.mlp.2.weight[8, 8], "
                + "t_embedder.mlp.2.bias[8]]", reg.all().toString());
    }

    @Test
    void forwardMatchesAPlainDoubleComputation() {
        var rng = new Rng(8);
        int B = 3, D = 5;
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(2)) {
            var emb = new TimestepEmbedder(engine, reg, "t_embedder", D, B);
            LayerChecks.randomize(reg, rng, 0.1f);
            float[] t = {0f, 0.37f, 1f};
            float[] out = emb.forward(t, B);
            float[] w0 = reg.get("t_embedder.mlp.0.weight").values(), b0 = reg.get("t_embedder.mlp.0.bias").values();
            float[] w2 = reg.get("t_embedder.mlp.2.weight").values(), b2 = reg.get("t_embedder.mlp.2.bias").values();
            for (int b = 0; b < B; b++) {
                double[] feat = new double[256];
                for (int i = 0; i < 128; i++) {
                    double f = Math.exp(-Math.log(10) * i / 128);
                    feat[i] = Math.cos(t[b] * f);
                    feat[128 + i] = Math.sin(t[b] * f);
                }
                double[] h = new double[D];
                for (int o = 0; o < D; o++) {
                    double acc = b0[o];
                    for (int i = 0; i < 256; i++) acc += w0[o * 256 + i] * feat[i];
                    h[o] = acc / (1 + Math.exp(-acc));
                }
                for (int o = 0; o < D; o++) {
                    double acc = b2[o];
                    for (int i = 0; i < D; i++) acc += w2[o * D + i] * h[i];
                    assertEquals(acc, out[b * D + o], 1e-5, "t_emb[" + b + ", " + o + "]");
                }
            }
        }
    }

    @Test
    void gradientsWrtEveryParameter() {
        var rng = new Rng(9);
        int B = 3, D = 5;
        var reg = new ParamRegistry();
        try (var engine = new JavaEngine(2)) {
            var emb = new TimestepEmbedder(engine, reg, "t_embedder", D, B);
            LayerChecks.randomize(reg, rng, 0.3f);
            float[] t = {0.1f, 0.5f, 0.93f}, dout = rng.normal(B * D);
            emb.forward(t, B);
            emb.backward(dout);
            for (Param p : reg.all()) {
                LayerChecks.assertParamGrad(p, () -> GradCheck.dot(emb.forward(t, B), dout, B * D), rng);
            }
            assertArrayEquals(new float[]{0.1f, 0.5f, 0.93f}, t, 0f);   // the input is not touched
        }
    }
}
