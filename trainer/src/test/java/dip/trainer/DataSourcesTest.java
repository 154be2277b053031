package dip.trainer;

import dip.data.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** `train --data` through the real dip.data readers. */
class DataSourcesTest {

    @Test
    void anImageFolderOpensWithItsClasses(@TempDir Path dir) throws Exception {
        for (String cls : List.of("cats", "dogs")) {
            Files.createDirectories(dir.resolve(cls));
            for (int i = 0; i < 2; i++) {
                BufferedImage img = new BufferedImage(6, 6, BufferedImage.TYPE_INT_RGB);
                img.setRGB(0, 0, cls.equals("cats") ? 0xFFFFFF : 0x000000);
                ImageIO.write(img, "png", dir.resolve(cls).resolve(i + ".png").toFile());
            }
        }
        Dataset d = DataSources.open(DataKind.FOLDER, dir, 4, 1);
        assertEquals(4, d.size());
        assertEquals(2, d.numClasses());
        assertEquals(List.of("cats", "dogs"), d.classNames());
        float[] x = new float[16];
        assertEquals(1, d.read(3, x, 0));
        for (float v : x) assertTrue(v >= -1f && v <= 1f);
    }

    @Test
    void missingFashionMnistFilesSayHowToGetThem(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> DataSources.open(DataKind.FASHION_MNIST, dir, 32, 1));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("dataset-fashion-mnist"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataSources.open(DataKind.FASHION_MNIST, dir, 32, 3));
        assertThrows(IllegalArgumentException.class, () -> DataSources.open(DataKind.CIFAR10, dir, 16, 3));
    }

    @Test
    void theInstalledFashionMnistOpensAt32Pixels() throws Exception {
        Path dir = DataKind.FASHION_MNIST.defaultDir();
        assumeTrue(Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz")), "Fashion-MNIST not installed at " + dir);
        Dataset d = DataSources.open(DataKind.FASHION_MNIST, dir, 32, 1);
        assertEquals(60000, d.size());
        assertEquals(10, d.numClasses());
        assertEquals("T-shirt/top", d.classNames().get(0));
        float[] x = new float[32 * 32];
        int label = d.read(0, x, 0);
        assertTrue(label >= 0 && label < 10);
        assertEquals(-1f, x[0], 0f, "the 2-pixel black frame of the padding");
    }
}
