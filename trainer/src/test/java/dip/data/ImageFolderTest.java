package dip.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ImageFolderTest {
    @TempDir Path dir;

    private static void png(Path file, int w, int h, int rgb) throws IOException {
        var img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb);
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, file.toString().endsWith(".png") ? "png" : "jpeg", file.toFile()));
    }

    @Test void listsClassesSortedAndSkipsACorruptFile() throws IOException {
        png(dir.resolve("zebra/b.png"), 8, 8, 0xFF0000);
        png(dir.resolve("zebra/a.jpg"), 10, 6, 0x808080);
        png(dir.resolve("apple/nested/x.png"), 8, 8, 0x0000FF);
        Files.createDirectories(dir.resolve("apple"));
        Files.write(dir.resolve("apple/broken.png"), new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.writeString(dir.resolve("apple/notes.txt"), "not an image");
        List<String> warnings = new ArrayList<>();
        var ds = new ImageFolder(dir, 4, 3, warnings::add);

        assertEquals(List.of("apple", "zebra"), ds.classNames());
        assertEquals(4, ds.size());                              // the .txt is not listed
        assertEquals(0, ds.skipped());
        float[] x = new float[3 * 16];
        // sorted within a class: apple/broken.png, apple/nested/x.png, zebra/a.jpg, zebra/b.png
        assertEquals(0, ds.read(0, x, 0));                       // broken: index 0 yields the next image (blue)
        assertEquals(1, ds.skipped());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("broken.png"), warnings.get(0));
        assertEquals(-1f, x[0], 0f);
        assertEquals(1f, x[2 * 16], 0f);
        assertEquals(0, ds.read(0, x, 0));
        assertEquals(1, warnings.size(), "a bad file is tried once");
        assertEquals(1, ds.read(3, x, 0));
        assertEquals(1f, x[0], 0f);                               // red
        assertEquals(-1f, x[16], 0f);
        assertEquals(1, ds.read(2, x, 0));                       // the gray JPEG: 128 ± JPEG rounding
        assertEquals(128 / 127.5f - 1, x[5], 0.02f);
    }

    @Test void centreCropsANonSquareImage() throws IOException {
        // 12 wide, 4 high: left third black, middle third white, right third black. Target 4: no resize, crop x 4..7.
        var img = new BufferedImage(12, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 4; y++) for (int x = 4; x < 8; x++) img.getRaster().setSample(x, y, 0, 255);
        Files.createDirectories(dir.resolve("c"));
        ImageIO.write(img, "png", dir.resolve("c/wide.png").toFile());
        float[] x = new float[16];
        new ImageFolder(dir, 4, 1).read(0, x, 0);
        for (float v : x) assertEquals(1f, v, 0f);               // the white centre only

        float[] rgb = new float[48];
        new ImageFolder(dir, 4, 3).read(0, rgb, 0);              // gray replicated into R, G, B
        for (float v : rgb) assertEquals(1f, v, 0f);

        float[] big = new float[4];                               // 12x4 -> size 2: BOX to 6x2, crop the middle 2
        new ImageFolder(dir, 2, 1).read(0, big, 0);
        for (float v : big) assertEquals(1f, v, 0f);
    }

    @Test void emptyOrMissingFoldersAreReported() throws IOException {
        assertTrue(assertThrows(DatasetException.class, () -> new ImageFolder(dir.resolve("nope"), 8, 3))
                .getMessage().contains("does not exist"));
        assertTrue(assertThrows(DatasetException.class, () -> new ImageFolder(dir, 8, 3))
                .getMessage().contains("no class subfolders"));
        Files.createDirectories(dir.resolve("empty"));
        assertTrue(assertThrows(DatasetException.class, () -> new ImageFolder(dir, 8, 3))
                .getMessage().contains("has no images"));
    }
}
