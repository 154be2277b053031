package dip.eval;

/**
 * Per-image fidelity measures for the single-image overfit experiment (paper Fig. 3): PSNR against a reference,
 * and how much high-frequency detail an image has, measured with the 3×3 Laplacian. Images are (C, H, W) floats in
 * [−1, 1], the model's range (peak-to-peak 2, so PSNR here equals PSNR on 0..255 pixels). Not a perceptual metric.
 */
public final class ImageMetrics {
    private ImageMetrics() {
    }

    /** Peak-to-peak range of an image in [−1, 1]. */
    public static final double PEAK = 2.0;

    /** Mean of (a[i] − b[i])² over n values, in double. */
    public static double mse(float[] a, float[] b, int n) {
        if (a.length < n || b.length < n) throw new IllegalArgumentException("mse over " + n + " values, arrays hold " + a.length + " and " + b.length);
        double s = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) a[i] - b[i];
            s += d * d;
        }
        return s / n;
    }

    /** 10·log10(PEAK² / mse) in dB over n values; +Infinity when they are equal. */
    public static double psnr(float[] x, float[] ref, int n) {
        return 10 * Math.log10(PEAK * PEAK / mse(x, ref, n));
    }

    /**
     * The 3×3 Laplacian L = up + down + left + right − 4·centre of each channel, on the interior pixels only (no
     * padding): returns (C, H − 2, W − 2). A linear ramp gives 0, a lone bright pixel −4 at its place.
     */
    public static float[] laplacian(float[] x, int C, int H, int W) {
        if (H < 3 || W < 3) throw new IllegalArgumentException("the 3×3 Laplacian needs H, W >= 3, got " + H + "×" + W);
        if (x.length < C * H * W) throw new IllegalArgumentException("image holds " + x.length + " values, " + C + "×" + H + "×" + W + " needs " + C * H * W);
        int h = H - 2, w = W - 2;
        float[] out = new float[C * h * w];
        for (int c = 0; c < C; c++) {
            int plane = c * H * W;
            for (int i = 1; i < H - 1; i++) {
                for (int j = 1; j < W - 1; j++) {
                    int p = plane + i * W + j;
                    out[(c * h + i - 1) * w + j - 1] = x[p - W] + x[p + W] + x[p - 1] + x[p + 1] - 4 * x[p];
                }
            }
        }
        return out;
    }

    /** High-frequency energy: the mean of L² over the interior (see {@link #laplacian}). */
    public static double laplacianEnergy(float[] x, int C, int H, int W) {
        float[] l = laplacian(x, C, H, W);
        return mse(l, new float[l.length], l.length);
    }

    /** laplacianEnergy(x) / laplacianEnergy(ref): 1 = as much fine detail as the reference, below 1 = smoother. */
    public static double highFrequencyRatio(float[] x, float[] ref, int C, int H, int W) {
        return laplacianEnergy(x, C, H, W) / laplacianEnergy(ref, C, H, W);
    }

    /**
     * mean((L(x) − L(ref))²) / mean(L(ref)²): the error of the high-pass part relative to the reference's own
     * high-pass energy. 0 = exact detail, 1 = as wrong as a perfectly smooth image, above 1 = detail in wrong places.
     */
    public static double highFrequencyError(float[] x, float[] ref, int C, int H, int W) {
        float[] lx = laplacian(x, C, H, W), lr = laplacian(ref, C, H, W);
        return mse(lx, lr, lx.length) / mse(lr, new float[lr.length], lr.length);
    }
}
