package dip.trainer;

import dip.model.Denoiser;
import dip.sampler.EulerSampler;
import dip.sampler.ImageWriter;
import dip.util.Rng;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The per-epoch sample grid (samples_epoch{N}.png): one row per class, its name written on the left, `perClass`
 * samples from the EMA weights with the Euler sampler, noise from a fixed seed (the same every epoch, so the grids
 * show the model changing, not the noise). Drawn by the sampler's ImageWriter (official uint8 rounding, labels).
 */
public final class SampleGrid {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** How the grid is sampled. */
    public record Options(int perClass, int steps, float cfgScale, float guidanceLow, float guidanceHigh, long seed) {
        public Options {
            if (perClass <= 0 || steps <= 0) {
                throw new IllegalArgumentException("samples per class and sampling steps must be positive, got "
                        + perClass + ", " + steps);
            }
        }
    }

    private SampleGrid() {
    }

    /**
     * Samples numClasses × perClass images with the EMA weights (swapped into the model and back) and returns them,
     * (numClasses·perClass, C, H, W) in [−1, 1], row-major by class.
     */
    public static float[] sampleEma(TrainState s, Options o) {
        Denoiser m = s.model;
        var cfg = m.config();
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        int total = cfg.numClasses() * o.perClass();
        float[] all = new float[total * per];
        int[] labels = new int[total];
        for (int i = 0; i < total; i++) labels[i] = i / o.perClass();
        new Rng(o.seed()).fillNormal(all, all.length, 1f);   // the whole grid's noise, drawn up front
        EulerSampler sampler = new EulerSampler(m, o.steps(), o.cfgScale(), o.guidanceLow(), o.guidanceHigh());
        var engine = m.engine();
        engine.download(s.stateArrays());                     // a device engine copies the weights back first
        s.ema.swap();
        engine.upload(s.stateArrays());
        try {
            sampler.sample(all, labels, total);                 // chunks to the model's maxBatch by itself
        } finally {
            s.ema.swap();
            engine.upload(s.stateArrays());
        }
        return all;
    }

    /** Samples from the EMA weights and writes the labelled grid PNG (temp file, then rename). */
    public static void write(Path png, TrainState s, List<String> classNames, Options o, String title) throws IOException {
        var cfg = s.model.config();
        int S = cfg.imageSize(), rows = cfg.numClasses();
        float[] images = sampleEma(s, o);
        BufferedImage img = ImageWriter.grid(images, rows * o.perClass(), cfg.channels(), S, S, rows, o.perClass(),
                classNames.toArray(new String[0]), title, ImageWriter.defaultScale(S));
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ImageWriter.writePng(img, tmp);
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
