package dip.test;

import dip.io.DipConfigJson;
import dip.io.ModelWeights;
import dip.io.Safetensors;
import dip.layers.Param;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.sampler.EulerSampler;
import dip.sampler.Sampler;
import dip.tornado.exec.JavaEngine;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The sampler against PyTorch: the tiny_dip fixture holds a noise tensor, labels, and the reference's 4-step Euler
 * trajectory with CFG w = 2 on (0.1, 0.9) (step 0 unguided, steps 1–3 guided) and the final uint8 image. The same
 * weights + the same noise must give the same trajectory (float tolerance) and the same uint8 pixels.
 */
class TorchSamplerParityTest {

    @Test void sameWeightsAndNoiseGiveTheSameImageAsPyTorch() throws Exception {
        Path file = Path.of(TorchSamplerParityTest.class.getResource("/golden/tiny_dip.safetensors").toURI());
        Safetensors.Contents f = Safetensors.read(file);
        DipConfig cfg = DipConfigJson.fromJson(f.metadata().get(ModelWeights.CONFIG_KEY));
        int[] y = f.tensor("fixture.sample_y").ints();
        int B = y.length, per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        float[] x = f.tensor("fixture.noise").floats().clone();
        float[] traj = f.tensor("fixture.sample_traj").floats();       // (steps + 1, B, C, H, W): x before each step, then final
        int[] u8 = f.tensor("fixture.sample_u8").ints();
        try (JavaEngine engine = new JavaEngine(2)) {
            Dip model = new Dip(engine, cfg, 2 * B);
            for (Param p : model.params().all()) p.load(f.tensor(p.name()).floats());
            double[] worst = new double[1];
            new EulerSampler(model, 4, 2.0f, 0.1f, 0.9f).sample(x, y, B, (k, steps, t, xt, xhat, n) -> {
                if (k == steps) return;                                   // the final image is checked below (clamped)
                for (int i = 0; i < B * per; i++) {
                    double ref = traj[k * B * per + i];
                    worst[0] = Math.max(worst[0], Math.abs(xt[i] - ref));
                    assertEquals(ref, xt[i], 1e-4, "x_t before step " + k + " at " + i);
                }
            });
            System.out.printf("sampler vs PyTorch: max |Δx_t| over the trajectory %.3g%n", worst[0]);
        }
        int mismatches = 0;
        for (int i = 0; i < B * per; i++) if (Sampler.toUint8(x[i]) != u8[i]) mismatches++;
        assertEquals(0, mismatches, "uint8 pixels that differ from PyTorch's");
    }
}
