package dip.sampler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Node;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pixels, layout and files of ImageWriter, AnimatedGif and TrajectoryRecorder. */
class ImageWriterTest {
    @TempDir Path dir;

    @Test
    void grayPixelsUseTheOfficialRoundingAndNearestNeighbour() {
        // (x + 1)·127.5 + 0.5 truncated: -1 → 0, 0 → 128, 1 → 255, 0.5 → 191.75 → 191.
        float[] x = {9f, 9f, 9f, 9f, -1f, 0f, 1f, 0.5f};          // two 1×2×2 images; the second one is drawn
        BufferedImage img = ImageWriter.toImage(x, 1, 1, 2, 2, 3);
        assertEquals(6, img.getWidth());
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
        int[][] want = {{0, 128}, {255, 191}};
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) assertEquals(want[i / 3][j / 3], img.getRaster().getSample(j, i, 0), i + "," + j);
        }
    }

    @Test
    void rgbTakesThePlanesInOrder() {
        float[] x = {-1f, 1f, 0f};                                  // one 3×1×1 image: R = 0, G = 255, B = 128
        BufferedImage img = ImageWriter.toImage(x, 0, 3, 1, 1, 1);
        assertEquals(0x00FF80, img.getRGB(0, 0) & 0xFFFFFF);
    }

    @Test
    void gridPutsImageRTimesColsPlusCAtRowRColumnC() throws IOException {
        int B = 5, H = 2, W = 3, rows = 2, cols = 3, scale = 2;
        float[] x = new float[B * H * W];
        for (int b = 0; b < B; b++) java.util.Arrays.fill(x, b * H * W, (b + 1) * H * W, -1f + 0.4f * b);
        BufferedImage g = ImageWriter.grid(x, B, 1, H, W, rows, cols, null, null, scale);
        int p = ImageWriter.PAD;
        assertEquals(cols * (W * scale + p) + p, g.getWidth());
        assertEquals(rows * (H * scale + p) + p, g.getHeight());
        for (int b = 0; b < B; b++) {
            int r = b / cols, c = b % cols, v = Sampler.toUint8(-1f + 0.4f * b);
            int px = p + c * (W * scale + p) + W * scale - 1, py = p + r * (H * scale + p);
            assertEquals(v, g.getRGB(px, py) & 0xFF, "image " + b);
        }
        assertEquals(ImageWriter.BACKGROUND.getRGB(), g.getRGB(g.getWidth() - 1, g.getHeight() - 1), "blank 6th cell");
        // With labels the grid grows to the left; the file round-trips.
        BufferedImage labelled = ImageWriter.grid(x, B, 1, H, W, rows, cols, new String[]{"T-shirt/top", "Bag"}, "title", scale);
        assertTrue(labelled.getWidth() > g.getWidth() && labelled.getHeight() > g.getHeight());
        Path f = dir.resolve("sub/grid.png");
        ImageWriter.writePng(labelled, f);
        BufferedImage back = ImageIO.read(f.toFile());
        assertArrayEquals(labelled.getRGB(0, 0, labelled.getWidth(), labelled.getHeight(), null, 0, labelled.getWidth()),
                back.getRGB(0, 0, back.getWidth(), back.getHeight(), null, 0, back.getWidth()));
    }

    @Test
    void animatedGifHasEveryFrameAndLoopsForever() throws IOException {
        Path f = dir.resolve("a.gif");
        try (var gif = new AnimatedGif(f)) {
            for (int k = 0; k < 3; k++) {
                float[] x = {k - 1f, 0f, 1f, -k / 2f};
                gif.add(ImageWriter.grid(x, 1, 1, 2, 2, 1, 1, null, null, 4), 100);
            }
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            assertEquals(3, reader.getNumImages(true));
            var root = (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_gif_image_1.0");
            Node app = root.getElementsByTagName("ApplicationExtension").item(0);
            assertEquals("NETSCAPE", app.getAttributes().getNamedItem("applicationID").getNodeValue());
            assertArrayEquals(new byte[]{1, 0, 0}, (byte[]) ((IIOMetadataNode) app).getUserObject());
            Node gce = root.getElementsByTagName("GraphicControlExtension").item(0);
            assertEquals("10", gce.getAttributes().getNamedItem("delayTime").getNodeValue());
            int p = ImageWriter.PAD;                                // frame 2 = {1, 0, 1, -1}: pixel (0, 0) is 255
            assertEquals(255, reader.read(2).getRGB(p, p) & 0xFF, "frame 2 pixel (0, 0)");
            assertEquals(0, reader.read(2).getRGB(p + 4, p + 4) & 0xFF, "frame 2 pixel (1, 1)");
            assertEquals(128, reader.read(1).getRGB(p + 4, p) & 0xFF, "frame 1 pixel (0, 1)");
        }
    }

    @Test
    void trajectoryRecorderWritesOneFramePerStepPlusTheEnd() throws IOException {
        var toy = new GaussianToy(4);
        int B = 4;
        float[] eps = Sampler.noise(3, B, GaussianToy.PER);
        Path gif = dir.resolve("traj.gif"), frames = dir.resolve("traj");
        try (var rec = new TrajectoryRecorder(gif, frames, 1, 4, 4, 2, 2, new String[]{"a", "b"}, 4, 50)) {
            new EulerSampler(toy, 3).sample(eps, new int[]{0, 0, 1, 1}, B, rec);
            assertEquals(4, rec.frames());
        }
        try (var files = Files.list(frames)) {
            assertEquals(4, files.filter(p -> p.toString().endsWith(".png")).count());
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            assertEquals(4, reader.getNumImages(true));
        }
        BufferedImage last = ImageIO.read(frames.resolve("frame_003.png").toFile());
        assertTrue(last.getWidth() > 4 * 4 * 4, "2 samples per row, each x_t and x̂, 16 px cells");
    }
}
