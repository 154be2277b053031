package dip.sampler;

import java.awt.image.BufferedImage;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A {@link SamplerListener} that films the ODE: at every step one frame, in which each sample shows x_t on the
 * left and the predicted clean image x̂ = x_t + (1 − t)·v on the right, laid out like the sample grid (rows, cols
 * of samples, so 2·cols image columns). Frames go to {@code framesDir/frame_NNN.png} and to one looping animated
 * GIF, written as they come. Close it after sampling.
 */
public final class TrajectoryRecorder implements SamplerListener, Closeable {
    private final AnimatedGif gif;
    private final Path framesDir;
    private final int C, H, W, rows, cols, scale, delayMs;
    private final String[] rowLabels;
    private float[] pairs;       // (2B, C, H, W): [x_t(0), x̂(0), x_t(1), x̂(1), ...]
    private int frames;

    public TrajectoryRecorder(Path gifFile, Path framesDir, int C, int H, int W, int rows, int cols,
                              String[] rowLabels, int scale, int delayMs) throws IOException {
        this.gif = new AnimatedGif(gifFile);
        this.framesDir = framesDir;
        this.C = C; this.H = H; this.W = W;
        this.rows = rows; this.cols = cols;
        this.rowLabels = rowLabels;
        this.scale = scale;
        this.delayMs = delayMs;
    }

    public int frames() { return frames; }

    @Override
    public void onStep(int k, int steps, float t, float[] xt, float[] xhat, int B) {
        int per = C * H * W;
        if (pairs == null || pairs.length < 2 * B * per) pairs = new float[2 * B * per];
        for (int b = 0; b < B; b++) {
            System.arraycopy(xt, b * per, pairs, 2 * b * per, per);
            System.arraycopy(xhat, b * per, pairs, (2 * b + 1) * per, per);
        }
        String title = String.format(Locale.ROOT, "step %d/%d  t = %.3f   (left: x_t, right: predicted x)", k, steps, t);
        BufferedImage frame = ImageWriter.grid(pairs, 2 * B, C, H, W, rows, 2 * cols, rowLabels, title, scale);
        try {
            ImageWriter.writePng(frame, framesDir.resolve(String.format(Locale.ROOT, "frame_%03d.png", k)));
            gif.add(frame, k == steps ? 20 * delayMs : delayMs);   // hold the final image
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        frames++;
    }

    @Override
    public void close() throws IOException { gif.close(); }
}
