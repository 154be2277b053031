package dip.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** PSNR and the Laplacian measures on images worked out by hand. */
class ImageMetricsTest {

    @Test
    void psnrOfAKnownError() {
        // ref = 0 everywhere; x differs by 0.2 at one of 4 pixels: mse = 0.04 / 4 = 0.01,
        // psnr = 10·log10(2² / 0.01) = 10·log10(400) = 26.0206 dB
        float[] ref = new float[4], x = {0f, 0.2f, 0f, 0f};
        assertEquals(0.01, ImageMetrics.mse(x, ref, 4), 1e-9);
        assertEquals(26.0206, ImageMetrics.psnr(x, ref, 4), 1e-4);
        assertEquals(Double.POSITIVE_INFINITY, ImageMetrics.psnr(ref, ref, 4));
        // a black image against a white one: mse 4, psnr 0 dB
        assertEquals(0.0, ImageMetrics.psnr(new float[]{-1f, -1f}, new float[]{1f, 1f}, 2), 1e-12);
    }

    @Test
    void laplacianOfHandWorkedImages() {
        // 3×3, a lone 1 in the centre: L = 0+0+0+0 − 4·1 = −4 (the one interior pixel); energy 16
        float[] dot = {0, 0, 0, 0, 1, 0, 0, 0, 0};
        assertArrayEquals(new float[]{-4f}, ImageMetrics.laplacian(dot, 1, 3, 3));
        assertEquals(16.0, ImageMetrics.laplacianEnergy(dot, 1, 3, 3), 1e-12);
        // 3×4 ramp x[i][j] = j (linear): L = 0 at both interior pixels
        float[] ramp = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
        assertArrayEquals(new float[]{0f, 0f}, ImageMetrics.laplacian(ramp, 1, 3, 4));
        // 3×4 parabola x[i][j] = j²: L = (j+1)² + (j−1)² − 2j² = 2 along a row, 0 across: 2 at (1,1) and (1,2)
        float[] par = {0, 1, 4, 9, 0, 1, 4, 9, 0, 1, 4, 9};
        assertArrayEquals(new float[]{2f, 2f}, ImageMetrics.laplacian(par, 1, 3, 4));
        // two channels are done separately: (2, 3, 3) = [dot, 2·dot] gives [−4, −8]
        float[] two = new float[18];
        two[4] = 1f;
        two[13] = 2f;
        assertArrayEquals(new float[]{-4f, -8f}, ImageMetrics.laplacian(two, 2, 3, 3));
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.laplacian(new float[4], 1, 2, 2));
    }

    @Test
    void highFrequencyRatioAndErrorAgainstAReference() {
        float[] dot = {0, 0, 0, 0, 1, 0, 0, 0, 0};
        float[] half = {0, 0, 0, 0, 0.5f, 0, 0, 0, 0};        // L = −2: energy 4, a quarter of the dot's 16
        float[] flat = new float[9];
        assertEquals(0.25, ImageMetrics.highFrequencyRatio(half, dot, 1, 3, 3), 1e-12);
        assertEquals(1.0, ImageMetrics.highFrequencyRatio(dot, dot, 1, 3, 3), 1e-12);
        // error: (−2 − (−4))² / 16 = 0.25; a flat image: 16 / 16 = 1; the image itself: 0
        assertEquals(0.25, ImageMetrics.highFrequencyError(half, dot, 1, 3, 3), 1e-12);
        assertEquals(1.0, ImageMetrics.highFrequencyError(flat, dot, 1, 3, 3), 1e-12);
        assertEquals(0.0, ImageMetrics.highFrequencyError(dot, dot, 1, 3, 3), 1e-12);
    }
}
