package dip.data;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.color.ColorSpace;
import java.awt.image.Raster;

/**
 * Decoded images as byte-valued planes: {@code int[] (C, H, W)} with values 0..255, the layout the resampler and
 * the datasets use. Conversions follow PIL, which the reference pipeline uses: convert("RGB") drops alpha and
 * replicates gray, convert("L") is ITU-R 601 luma in 16-bit fixed point.
 */
final class Pixels {
    private Pixels() {}

    /** PIL's RGB → L: (R·19595 + G·38470 + B·7471 + 2^15) >> 16. */
    static int luma(int r, int g, int b) {
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }

    /** The image as (channels, H, W) planes, channels 1 (luma) or 3 (RGB). */
    static int[] planes(BufferedImage img, int channels) {
        int w = img.getWidth(), h = img.getHeight(), plane = w * h;
        int[] out = new int[channels * plane];
        if (isGray(img)) {                                     // read samples as stored: Java's getRGB would gamma-map gray
            Raster r = img.getRaster();
            int shift = img.getColorModel().getComponentSize(0) - 8;
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v = shift > 0 ? row[x] >> shift : row[x];
                    for (int c = 0; c < channels; c++) out[c * plane + y * w + x] = v;
                }
            }
            return out;
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);       // sRGB, alpha dropped below
        for (int i = 0; i < plane; i++) {
            int p = argb[i], r = (p >> 16) & 0xFF, g = (p >> 8) & 0xFF, b = p & 0xFF;
            if (channels == 3) {
                out[i] = r; out[plane + i] = g; out[2 * plane + i] = b;
            } else {
                out[i] = luma(r, g, b);
            }
        }
        return out;
    }

    private static boolean isGray(BufferedImage img) {
        ColorModel cm = img.getColorModel();
        return cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof java.awt.image.IndexColorModel)
                && cm.getComponentSize(0) >= 8 && cm.getComponentSize(0) <= 16;
    }
}
