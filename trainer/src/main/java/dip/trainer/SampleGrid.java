package dip.trainer;

import dip.layers.ParamRegistry;
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
 * <p>
 * It samples with a model of its own (the preview model: the training model's config, built for inference), into
 * which it copies the EMA weights each time. The training model's weights are never touched, and on a device engine
 * the training step and the preview keep their compiled passes: they share no array, and the preview's sampler,
 * made once, sends the new weights with its starting noise instead of compiling its step again.
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

    private final Denoiser preview;
    private final EulerSampler sampler;
    private final Options o;

    /**
     * A grid sampled with {@code preview}, a model with the training model's parameters (same config: same names,
     * shapes and layout), e.g. {@code Dip.forInference(engine, config, maxBatch)}; its own weights do not matter.
     */
    public SampleGrid(Denoiser preview, Options o) {
        this.preview = preview;
        this.o = o;
        this.sampler = new EulerSampler(preview, o.steps(), o.cfgScale(), o.guidanceLow(), o.guidanceHigh())
                .reloadingWeights();
    }

    /**
     * Samples numClasses × perClass images with the EMA weights of s (copied into the preview model) and returns
     * them, (numClasses·perClass, C, H, W) in [−1, 1], row-major by class.
     */
    public float[] sampleEma(TrainState s) {
        Denoiser m = s.model;
        var cfg = m.config();
        ParamRegistry from = m.params(), to = preview.params();
        if (!cfg.equals(preview.config()) || from.count(ParamRegistry.WEIGHTS) != to.count(ParamRegistry.WEIGHTS)
                || from.count(ParamRegistry.BIASES) != to.count(ParamRegistry.BIASES)) {
            throw new IllegalArgumentException("the preview model (" + preview.config() + ", " + to.count()
                    + " parameters) is not the training model's (" + cfg + ", " + from.count() + ")");
        }
        int per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        int total = cfg.numClasses() * o.perClass();
        float[] all = new float[total * per];
        int[] labels = new int[total];
        for (int i = 0; i < total; i++) labels[i] = i / o.perClass();
        new Rng(o.seed()).fillNormal(all, all.length, 1f);   // the whole grid's noise, drawn up front
        m.engine().download(s.ema.arrays());                  // a device engine copies the EMA back first
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            System.arraycopy(s.ema.shadow(b), 0, to.data(b), 0, to.count(b));
        }
        preview.engine().upload(to.dataArrays());
        return sampler.sample(all, labels, total);           // chunks to the model's maxBatch by itself
    }

    /** Samples from the EMA weights and writes the labelled grid PNG (temp file, then rename). */
    public void write(Path png, TrainState s, List<String> classNames, String title) throws IOException {
        var cfg = s.model.config();
        int S = cfg.imageSize(), rows = cfg.numClasses();
        float[] images = sampleEma(s);
        BufferedImage img = ImageWriter.grid(images, rows * o.perClass(), cfg.channels(), S, S, rows, o.perClass(),
                classNames.toArray(new String[0]), title, ImageWriter.defaultScale(S));
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ImageWriter.writePng(img, tmp);
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
