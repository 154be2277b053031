package dip.sampler;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Images out of the sampler: (C, H, W) floats in [−1, 1] (C = 1 grayscale, C = 3 RGB) to {@link BufferedImage}s
 * with the official uint8 rounding ({@link Sampler#toUint8(float)}), labelled grids drawn with Java2D, PNG files.
 * Small images are upscaled by an integer factor with nearest neighbour, so pixels stay sharp. Headless-safe.
 */
public final class ImageWriter {
    private ImageWriter() {
    }

    /** Grid cells are at least this many pixels high after upscaling (a 28 px image is drawn 3×). */
    static final int MIN_CELL = 64;
    static final int PAD = 2;
    static final Color BACKGROUND = new Color(32, 32, 32), TEXT = new Color(230, 230, 230);

    /** Nearest-neighbour upscale factor that makes an H-pixel image at least {@link #MIN_CELL} pixels high. */
    public static int defaultScale(int H) { return Math.max(1, (MIN_CELL + H - 1) / H); }

    /**
     * Image b of a batch x (B, C, H, W), scaled by an integer factor: TYPE_BYTE_GRAY for C = 1 (samples written to
     * the raster as they are; setRGB would pass them through a colour-space conversion), TYPE_INT_RGB for C = 3.
     */
    public static BufferedImage toImage(float[] x, int b, int C, int H, int W, int scale) {
        checkChannels(C);
        var img = new BufferedImage(W * scale, H * scale, C == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        paint(img, x, b, C, H, W, scale, 0, 0);
        return img;
    }

    private static void checkChannels(int C) {
        if (C != 1 && C != 3) throw new IllegalArgumentException("images must have 1 or 3 channels, got " + C);
    }

    /** Draws image b of x (B, C, H, W), scaled, with its top-left corner at (x0, y0) of img. */
    private static void paint(BufferedImage img, float[] x, int b, int C, int H, int W, int scale, int x0, int y0) {
        boolean gray = img.getType() == BufferedImage.TYPE_BYTE_GRAY;
        int plane = H * W, off = b * C * plane;
        for (int i = 0; i < H; i++) {
            for (int j = 0; j < W; j++) {
                int p = off + i * W + j;
                int r = Sampler.toUint8(x[p]);
                int rgb = C == 1 ? r << 16 | r << 8 | r
                        : r << 16 | Sampler.toUint8(x[p + plane]) << 8 | Sampler.toUint8(x[p + 2 * plane]);
                for (int di = 0; di < scale; di++) {
                    for (int dj = 0; dj < scale; dj++) {
                        int px = x0 + j * scale + dj, py = y0 + i * scale + di;
                        if (gray) img.getRaster().setSample(px, py, 0, r);
                        else img.setRGB(px, py, rgb);
                    }
                }
            }
        }
    }

    /**
     * A labelled grid: image r·cols + c of x (B, C, H, W) goes to row r, column c (missing ones stay blank);
     * rowLabels (may be null) are drawn left of the rows, title (may be null) above. Cells are separated by
     * {@link #PAD} pixels of background.
     */
    public static BufferedImage grid(float[] x, int B, int C, int H, int W, int rows, int cols,
                                     String[] rowLabels, String title, int scale) {
        checkChannels(C);
        int cw = W * scale, ch = H * scale;
        int labelW = 0, titleH = 0;
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(10, Math.min(14, ch / 3)));
        FontMetrics fm = metrics(font);
        if (rowLabels != null && fm != null) {
            for (String s : rowLabels) if (s != null) labelW = Math.max(labelW, fm.stringWidth(s) + 2 * PAD + 4);
        }
        if (title != null && fm != null) titleH = fm.getHeight() + 2 * PAD;
        int width = labelW + cols * (cw + PAD) + PAD, height = titleH + rows * (ch + PAD) + PAD;
        var out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, width, height);
            for (int b = 0; b < Math.min(B, rows * cols); b++) {
                int r = b / cols, c = b % cols;
                paint(out, x, b, C, H, W, scale, labelW + PAD + c * (cw + PAD), titleH + PAD + r * (ch + PAD));
            }
            if (fm != null) {
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                g.setFont(font);
                g.setColor(TEXT);
                if (title != null) g.drawString(title, PAD + 2, PAD + fm.getAscent());
                for (int r = 0; rowLabels != null && r < Math.min(rows, rowLabels.length); r++) {
                    if (rowLabels[r] == null) continue;
                    int yMid = titleH + PAD + r * (ch + PAD) + ch / 2;
                    g.drawString(rowLabels[r], PAD + 2, yMid + (fm.getAscent() - fm.getDescent()) / 2);
                }
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /** Font metrics, or null where this JVM has no usable font (then grids are drawn without text). */
    private static FontMetrics metrics(Font font) {
        try {
            var probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = probe.createGraphics();
            try {
                return g.getFontMetrics(font);
            } finally {
                g.dispose();
            }
        } catch (RuntimeException | Error e) {    // e.g. no fontconfig on a bare server JDK
            return null;
        }
    }

    /** Writes a PNG, creating the parent folder. */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer in this JVM");
    }

    /** The PNG encoding of img, with a tEXt chunk {@code keyword}={@code text} when text is not null. */
    public static byte[] pngBytes(BufferedImage img, String keyword, String text) throws IOException {
        var bytes = new java.io.ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", bytes)) throw new IOException("no PNG writer in this JVM");
        return text == null ? bytes.toByteArray() : PngText.insert(bytes.toByteArray(), keyword, text);
    }

    /** One PNG per image of x (B, C, H, W) at scale 1: {@code dir/<names[b]>.png}. */
    public static void writeEach(float[] x, int B, int C, int H, int W, String[] names, Path dir) throws IOException {
        for (int b = 0; b < B; b++) writePng(toImage(x, b, C, H, W, 1), dir.resolve(names[b] + ".png"));
    }
}
