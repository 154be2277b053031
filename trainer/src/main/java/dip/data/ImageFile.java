package dip.data;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One image file (PNG, JPEG, ...) read the way {@link ImageFolder} reads its images: decoded with javax.imageio,
 * converted to luma or RGB ({@link Pixels}), centre-cropped as ADM ({@link CenterCrop}), mapped to [−1, 1].
 * For commands that work on a single picture (`dip experiment overfit --image`).
 */
public final class ImageFile {
    private ImageFile() {
    }

    /** The centre crop of {@code file} as (channels, size, size) floats in [−1, 1]. */
    public static float[] read(Path file, int size, int channels) throws IOException {
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        if (!Files.isRegularFile(file)) throw new DatasetException("no image file at " + file.toAbsolutePath());
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) throw new DatasetException(file + ": not a readable image (no decoder for its format)");
        int[] px = CenterCrop.apply(Pixels.planes(img, channels), channels, img.getHeight(), img.getWidth(), size);
        float[] out = new float[px.length];
        for (int i = 0; i < px.length; i++) out[i] = Dataset.toUnit(px[i]);
        return out;
    }
}
