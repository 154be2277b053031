package dip.model;

import dip.tornado.exec.JavaEngine;
import dip.util.Rng;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input to the model fails with a message naming the problem, before any computation. */
class DipBadInputTest {
    final DipConfig cfg = Preset.TINY.config();                       // 1×16×16, 10 classes
    final Dip model = new Dip(new JavaEngine(1), cfg, 2).initialize(new Rng(1));
    final float[] x = new float[2 * 16 * 16], t = {0.5f, 0.5f};

    @Test void wrongImageSizeOrChannelsNamesBothShapes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Dip.requireImageShape(cfg, 1, 28, 28));
        assertTrue(e.getMessage().contains("1x28x28") && e.getMessage().contains("1x16x16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Dip.requireImageShape(cfg, 3, 16, 16));
        assertTrue(e.getMessage().contains("3x16x16"), e.getMessage());
        Dip.requireImageShape(cfg, 1, 16, 16);
    }

    @Test void tooFewPixelsForTheBatchIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> model.forward(new float[100], t, new int[]{0, 1}, 2));
        assertTrue(e.getMessage().contains("512"), e.getMessage());
    }

    @Test void labelOutOfRangeNamesTheLabelAndTheValidRange() {
        var e = assertThrows(IllegalArgumentException.class, () -> model.forward(x, t, new int[]{3, 11}, 2));
        assertTrue(e.getMessage().contains("11") && e.getMessage().contains("10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.forward(x, t, new int[]{-1, 0}, 2));
    }

    @Test void batchAboveTheBuffersIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> model.forward(new float[3 * 256], new float[3], new int[3], 3));
        assertTrue(e.getMessage().contains("maxBatch 2"), e.getMessage());
    }

    @Test void badConfigsAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> cfg.withPatchSize(5));
        assertTrue(e.getMessage().contains("not a multiple of patchSize 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DipConfig(24, 8, 1, 32, 2, 2, 10, 8, HeadType.DIP, false).withPatchSize(6));
        assertTrue(e.getMessage().contains("a multiple of 16 or a power of two"), e.getMessage());
    }
}
