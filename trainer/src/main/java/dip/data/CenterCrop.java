package dip.data;

/**
 * ADM's centre crop (guided-diffusion image_datasets.py center_crop_arr), on byte-valued planes (C, H, W):
 * <pre>
 *   while min(w, h) >= 2·size: resize to (w // 2, h // 2) with BOX
 *   resize by size / min(w, h), rounding each side half-to-even, with BICUBIC
 *   crop size × size from the centre (offsets (h − size) // 2, (w − size) // 2)
 * </pre>
 * The resampler is PIL's (Pillow libImaging/Resample.c): separable, horizontal pass then vertical, the filter
 * stretched by the downscale factor, weights normalised per output pixel and quantised to 22-bit fixed point, each
 * pass rounded and clipped to 0..255. So the pixels match what the reference's PIL pipeline gives (checked in the test).
 */
public final class CenterCrop {
    private CenterCrop() {}

    /** Resampling filter: support radius and kernel, as in PIL. */
    public enum Filter {
        BOX(0.5) {
            @Override double weight(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }
        },
        BICUBIC(2.0) {
            @Override double weight(double x) {                 // Keys cubic with a = −0.5
                final double a = -0.5;
                if (x < 0) x = -x;
                if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
                if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
                return 0;
            }
        };

        final double support;

        Filter(double support) { this.support = support; }

        abstract double weight(double x);
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** The centre crop of img (C, H, W) as (C, size, size). */
    public static int[] apply(int[] img, int C, int H, int W, int size) {
        int h = H, w = W;
        while (Math.min(w, h) >= 2 * size) {
            img = resize(img, C, h, w, h / 2, w / 2, Filter.BOX);
            h /= 2; w /= 2;
        }
        double scale = (double) size / Math.min(w, h);
        int nh = (int) Math.rint(h * scale), nw = (int) Math.rint(w * scale);
        img = resize(img, C, h, w, nh, nw, Filter.BICUBIC);
        int y0 = (nh - size) / 2, x0 = (nw - size) / 2;
        int[] out = new int[C * size * size];
        for (int c = 0; c < C; c++) {
            for (int y = 0; y < size; y++) {
                System.arraycopy(img, c * nh * nw + (y0 + y) * nw + x0, out, (c * size + y) * size, size);
            }
        }
        return out;
    }

    /** PIL Image.resize((outW, outH), filter) on (C, H, W) planes: horizontal pass, then vertical. */
    public static int[] resize(int[] img, int C, int H, int W, int outH, int outW, Filter f) {
        if (outH == H && outW == W) return img.clone();          // PIL returns a copy when the size is unchanged
        int[] cur = img;
        if (outW != W) cur = horizontal(cur, C * H, W, outW, f); // rows of W samples become rows of outW
        if (outH != H) {
            int[] out = new int[C * outH * outW];
            int plane = H * outW;
            for (int c = 0; c < C; c++) vertical(out, c * outH * outW, cur, c * plane, H, outW, outH, f);
            cur = out;
        }
        return cur;
    }

    /** PIL's precompute_coeffs + normalize_coeffs_8bpc: per output sample, its first input, count and weights. */
    private record Coeffs(int ksize, int[] first, int[] count, int[] k) {
        static Coeffs of(int in, int out, Filter f) {
            double scale = (double) in / out;
            double filterScale = Math.max(scale, 1.0);            // downscaling stretches the filter (antialias)
            double support = f.support * filterScale;
            double ss = 1.0 / filterScale;                        // PIL multiplies by this (not divides): same bits
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[out], count = new int[out], k = new int[out * ksize];
            double[] w = new double[ksize];
            for (int o = 0; o < out; o++) {
                double center = (o + 0.5) * scale;
                int lo = Math.max((int) (center - support + 0.5), 0);
                int n = Math.min((int) (center + support + 0.5), in) - lo;
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    w[i] = f.weight((i + lo - center + 0.5) * ss);
                    sum += w[i];
                }
                for (int i = 0; i < n; i++) {
                    double v = (sum != 0 ? w[i] / sum : w[i]) * (1 << PRECISION_BITS);
                    k[o * ksize + i] = (int) (v < 0 ? v - 0.5 : v + 0.5);
                }
                first[o] = lo;
                count[o] = n;
            }
            return new Coeffs(ksize, first, count, k);
        }
    }

    /** Resamples each of {@code lines} rows of {@code in} samples to {@code out} samples. */
    private static int[] horizontal(int[] src, int lines, int in, int out, Filter f) {
        Coeffs c = Coeffs.of(in, out, f);
        int[] dst = new int[lines * out];
        for (int l = 0; l < lines; l++) {
            for (int o = 0; o < out; o++) {
                long acc = 1L << (PRECISION_BITS - 1);            // + 0.5 for rounding
                int row = l * in + c.first[o], kk = o * c.ksize;
                for (int i = 0; i < c.count[o]; i++) acc += (long) src[row + i] * c.k[kk + i];
                dst[l * out + o] = clip8(acc);
            }
        }
        return dst;
    }

    /** Resamples the columns of src[srcOff ..] (in rows × cols) into dst[dstOff ..] (out rows × cols). */
    private static void vertical(int[] dst, int dstOff, int[] src, int srcOff, int in, int cols, int out, Filter f) {
        Coeffs c = Coeffs.of(in, out, f);
        for (int o = 0; o < out; o++) {
            int kk = o * c.ksize;
            for (int x = 0; x < cols; x++) {
                long acc = 1L << (PRECISION_BITS - 1);
                int at = srcOff + c.first[o] * cols + x;
                for (int i = 0; i < c.count[o]; i++) acc += (long) src[at + i * cols] * c.k[kk + i];
                dst[dstOff + o * cols + x] = clip8(acc);
            }
        }
    }

    private static int clip8(long acc) {
        long v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : v > 255 ? 255 : (int) v;
    }
}
