package dip.test;

import dip.io.DipConfigJson;
import dip.io.ModelWeights;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.layers.MseLoss;
import dip.layers.Param;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.tornado.exec.JavaEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The whole model against PyTorch (llm.c's test_gpt2): fixtures written by scripts/reference/make_fixtures.py hold
 * weights under the official names, inputs x_t, t, y, the output v, the MSE loss and the gradient of every
 * parameter. Java loads the same weights, runs forward + backward and must agree on all of them.
 * Errors are relative to the largest magnitude in each tensor (float32 summation order differs from torch).
 */
class TorchParityTest {
    static final double V_REL = 2e-5, LOSS_REL = 1e-5, GRAD_REL = 1e-4;
    static JavaEngine engine;

    @BeforeAll static void up() { engine = new JavaEngine(2); }

    @AfterAll static void down() { engine.close(); }

    static Path golden(String name) throws URISyntaxException {
        return Path.of(TorchParityTest.class.getResource("/golden/" + name + ".safetensors").toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny_dip", "tiny_dip_p8", "tiny_dit"})
    void outputLossAndEveryGradientMatchPyTorch(String fixture) throws Exception {
        Path file = golden(fixture);
        Safetensors.Contents f = Safetensors.read(file);
        DipConfig cfg = DipConfigJson.fromJson(f.metadata().get(ModelWeights.CONFIG_KEY));
        float[] xt = f.tensor("fixture.x_t").floats(), t = f.tensor("fixture.t").floats();
        int[] y = f.tensor("fixture.y").ints();
        int B = t.length;
        Dip model = new Dip(engine, cfg, B);
        int loaded = 0;
        for (Param p : model.params().all()) {
            Tensor w = f.tensor(p.name());
            assertArrayEquals(p.shape(), w.shape(), p.name() + " shape");
            p.load(w.floats());
            loaded++;
        }
        long paramTensors = f.tensors().keySet().stream().filter(k -> !k.startsWith("fixture.") && !k.startsWith("grad.")).count();
        assertEquals(paramTensors, loaded, "the fixture has parameters the Java model does not register");

        float[] v = model.forward(xt, t, y, B);
        StringBuilder report = new StringBuilder(fixture + ": max rel error per tensor (vs max |torch|)\n");
        check(report, "output v", f.tensor("fixture.v").floats(), v, V_REL);

        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        MseLoss mse = new MseLoss(engine, B, per);
        double loss = mse.forward(v, f.tensor("fixture.target").floats(), B);
        double torchLoss = f.tensor("fixture.loss").floats()[0];
        report.append(String.format("  %-48s %.3g%n", "loss", Math.abs(loss - torchLoss) / Math.abs(torchLoss)));
        assertEquals(torchLoss, loss, LOSS_REL * Math.abs(torchLoss), "loss");

        model.params().zeroGrad();
        model.backward(mse.backward());
        for (Param p : model.params().all()) {
            check(report, "grad " + p.name(), f.tensor("grad." + p.name()).floats(), p.gradValues(), GRAD_REL);
        }
        System.out.print(report);
    }

    /** Asserts max |a − e| ≤ rel · max |e| and appends the achieved error to the report. */
    static void check(StringBuilder report, String what, float[] expected, float[] actual, double rel) {
        double maxRef = 0, maxErr = 0;
        int worst = 0;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            double e = Math.abs(expected[i] - actual[i]);
            if (e > maxErr || Double.isNaN(e)) { maxErr = e; worst = i; }
        }
        double r = maxErr / Math.max(maxRef, 1e-30);
        report.append(String.format("  %-48s %.3g (max abs %.3g)%n", what, r, maxErr));
        if (!(r <= rel)) {
            throw new AssertionError(String.format("%s: max abs error %.4g at [%d] (torch %.6g, java %.6g) is %.3g of max |torch| %.4g > %.1g%n%s",
                    what, maxErr, worst, expected[worst], actual[worst], r, maxRef, rel, report));
        }
    }
}
