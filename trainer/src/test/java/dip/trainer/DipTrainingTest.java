package dip.trainer;

import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.Preset;
import dip.tornado.exec.JavaEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trainer on the real model (TINY, 2 threads): finite losses, and resume is bit-exact there too. */
class DipTrainingTest {
    static final ToyData DATA = new ToyData(8, 1, 16, 10, 3);
    static final TrainConfig CFG = new TrainConfig(2, 1e-3, 0.9, 0.999, 0, 0.99, 0.1, 0, 1.0, 5);

    static TrainState fresh(JavaEngine e) {
        DipConfig cfg = Preset.TINY.config();
        return new TrainState(new Dip(e, cfg, 2).initialize(TrainState.initRng(CFG.seed())), CFG, DATA.size());
    }

    @Test
    void trainsAndResumesBitForBit(@TempDir Path dir) throws Exception {
        try (JavaEngine e = new JavaEngine(2)) {
            TrainLoopTest.Capture cap = new TrainLoopTest.Capture();
            TrainState straight = fresh(e);
            new TrainLoop(straight, DATA, cap, st -> dir, 0).run(10, 6);
            for (var s : cap.steps) assertTrue(Double.isFinite(s.loss()) && s.loss() > 0, "loss " + s.loss());

            Path f = dir.resolve("last.safetensors");
            TrainState first = fresh(e);
            new TrainLoop(first, DATA, new ProgressListener() { }, st -> {
                TrainCheckpoint.save(f, st, DATA.describe());
                return f;
            }, 0).run(10, 3);
            TrainState resumed = fresh(e);
            TrainCheckpoint.restore(f, resumed);
            new TrainLoop(resumed, DATA, new ProgressListener() { }, st -> dir, 0).run(10, 6);
            assertEquals(6, resumed.step());
            for (int i = 0; i < straight.model.params().size(); i++) {
                var p = straight.model.params().all().get(i);
                assertArrayEquals(p.values(), resumed.model.params().all().get(i).values(), 0f, p.name());
                assertArrayEquals(straight.ema.weights(i), resumed.ema.weights(i), 0f, "ema " + p.name());
                assertArrayEquals(straight.adamw.secondMoment(i), resumed.adamw.secondMoment(i), 0f, "v " + p.name());
            }
            var opt = new SampleGrid.Options(1, 2, 2.9f, 0.11f, 0.97f, 0);
            var cfg = resumed.model.config();
            float[] grid = new SampleGrid(resumed.model.forSampling(2), opt).sampleEma(resumed);
            for (float v : grid) assertTrue(v >= -1f && v <= 1f);
            // The preview model (built for inference, the EMA copied in) samples what the training model itself
            // samples with the EMA swapped in, to the bit.
            int n = cfg.numClasses(), per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
            float[] x = new float[n * per];
            new dip.util.Rng(opt.seed()).fillNormal(x, x.length, 1f);
            int[] y = new int[n];
            for (int i = 0; i < n; i++) y[i] = i;
            resumed.ema.swap();
            float[] direct = new dip.sampler.EulerSampler(resumed.model, opt.steps(), opt.cfgScale(), opt.guidanceLow(),
                    opt.guidanceHigh()).sample(x, y, n);
            resumed.ema.swap();
            assertArrayEquals(direct, grid, 0f, "preview model vs the EMA swapped into the training model");
        }
    }
}
