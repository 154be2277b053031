package dip.trainer;

import dip.model.Denoiser;
import dip.sampler.EulerSampler;
import dip.util.Rng;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The per-epoch sample grid (samples_epoch{N}.png): one row per class, its name written on the left, `perClass`
 * samples from the EMA weights with the Euler sampler, noise from a fixed seed (the same every epoch, so the grids
 * show the model changing, not the noise). Pixels: uint8 = clip((x + 1)·127.5 + 0.5, 0, 255), truncated (DIP-SPEC §4).
 */
public final class SampleGrid {
    static final int LABEL_WIDTH = 110, PAD = 2;

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
        int chunk = Math.max(1, sampler.batchFor(1) == 1 ? m.maxBatch() : m.maxBatch() / 2);
        s.ema.swap();
        try {
            for (int i0 = 0; i0 < total; i0 += chunk) {
                int n = Math.min(chunk, total - i0);
                float[] x = new float[n * per];
                int[] y = new int[n];
                System.arraycopy(all, i0 * per, x, 0, n * per);
                System.arraycopy(labels, i0, y, 0, n);
                sampler.sample(x, y, n);
                System.arraycopy(x, 0, all, i0 * per, n * per);
            }
        } finally {
            s.ema.swap();
        }
        return all;
    }

    /** [−1, 1] → uint8 as DIP-SPEC §4. */
    static int toByte(float x) {
        float v = (x + 1f) * 127.5f + 0.5f;
        return (int) Math.max(0f, Math.min(255f, v));
    }

    /**
     * Draws rows × cols images (C = 1 gray or 3 RGB, S×S each, upscaled by an integer factor to at least 48 px) with
     * a label column.
     */
    public static BufferedImage render(float[] images, int C, int S, int rows, int cols, List<String> rowLabels) {
        if (C != 1 && C != 3) throw new IllegalArgumentException("can only draw 1 or 3 channels, got " + C);
        int scale = Math.max(1, (48 + S - 1) / S), cell = S * scale + PAD;
        BufferedImage img = new BufferedImage(LABEL_WIDTH + cols * cell + PAD, rows * cell + PAD, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.BLACK);
        int per = C * S * S;
        for (int r = 0; r < rows; r++) {
            String label = r < rowLabels.size() ? rowLabels.get(r) : "class " + r;
            g.drawString(label, 4, r * cell + PAD + cell / 2 + 4);
            for (int c = 0; c < cols; c++) {
                int off = (r * cols + c) * per, x0 = LABEL_WIDTH + c * cell + PAD, y0 = r * cell + PAD;
                for (int py = 0; py < S * scale; py++) {
                    for (int px = 0; px < S * scale; px++) {
                        int pix = (py / scale) * S + px / scale, rgb;
                        if (C == 1) {
                            int v = toByte(images[off + pix]);
                            rgb = v << 16 | v << 8 | v;
                        } else {
                            rgb = toByte(images[off + pix]) << 16 | toByte(images[off + S * S + pix]) << 8
                                    | toByte(images[off + 2 * S * S + pix]);
                        }
                        img.setRGB(x0 + px, y0 + py, rgb);
                    }
                }
            }
        }
        g.dispose();
        return img;
    }

    /** Samples from the EMA weights and writes the labelled grid PNG (temp file, then rename). */
    public static void write(Path png, TrainState s, List<String> classNames, Options o) throws IOException {
        var cfg = s.model.config();
        float[] images = sampleEma(s, o);
        BufferedImage img = render(images, cfg.channels(), cfg.imageSize(), cfg.numClasses(), o.perClass(), classNames);
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer in this JVM");
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
