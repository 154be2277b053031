package dip.layers;

import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** PatchEmbed (unfold + s_embedder.proj) and Unpatchify (fold). */
class PatchLayersTest {
    private static final JavaEngine ENGINE = new JavaEngine(2);

    @AfterAll
    static void close() { ENGINE.close(); }

    @Test
    void patchEmbedGradients() {
        var rng = new Rng(61);
        int B = 2, C = 3, H = 4, W = 8, P = 4, D = 5;
        var reg = new ParamRegistry();
        var pe = new PatchEmbed(ENGINE, reg, "s_embedder", C, H, W, P, D, 2);
        pe.initialize(rng);
        Init.uniform(pe.proj.bias, 0.5f, rng);                     // official bias is 0; make it matter here
        assertEquals("s_embedder.proj.weight", reg.all().get(0).name());
        assertEquals(2, pe.tokensPerImage());
        float[] img = rng.normal(B * C * H * W), ds = rng.normal(B * 2 * D);
        pe.forward(img, B);
        reg.zeroGrad();
        float[] dimg = pe.backward(ds).clone();
        GradCheck.assertDirectional("PatchEmbed dimg",
                xs -> GradCheck.dot(pe.forward(xs, B), ds, ds.length), img, dimg, rng, 1e-2, Tol.GRAD_REL);
        ConvLayersTest.checkParam(pe.proj.weight, () -> pe.forward(img, B), ds, rng);
        ConvLayersTest.checkParam(pe.proj.bias, () -> pe.forward(img, B), ds, rng);
    }

    @Test
    void unpatchifyInvertsPatchEmbedTokens() {
        var rng = new Rng(62);
        int B = 3, C = 2, H = 6, W = 4, P = 2;
        var pe = new PatchEmbed(ENGINE, new ParamRegistry(), "s_embedder", C, H, W, P, 3, B);
        var fold = new Unpatchify(ENGINE, C, H, W, P, B);
        float[] img = rng.normal(B * C * H * W);
        pe.forward(img, B);
        assertArrayEquals(img, fold.forward(pe.tokens(), B), 0f);
        float[] dimg = rng.normal(img.length);
        float[] dtok = fold.backward(dimg).clone();
        GradCheck.assertDirectional("Unpatchify dtok",
                ts -> GradCheck.dot(fold.forward(ts, B), dimg, dimg.length), pe.tokens().clone(), dtok, rng, 1e-2, Tol.GRAD_REL);
    }
}
