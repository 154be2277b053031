package dip.model;

import java.util.Locale;

/**
 * Model shape. Validated on construction; stored in every checkpoint's metadata.
 *
 * @param imageSize    H = W in pixels
 * @param patchSize    P: tokens are P×P patches (N = (imageSize / P)²)
 * @param channels     C: 1 grayscale, 3 RGB
 * @param hidden       D: transformer width
 * @param depth        number of DiT blocks
 * @param heads        NH: attention heads (head dim HS = D / NH, must be divisible by 4 for 2D RoPE)
 * @param numClasses   classes; label numClasses is the null class used for guidance
 * @param headWidth    Patch Detailer Head base width (official: 64); stage i has headWidth·2^(i−1) channels
 * @param head         DIP (detailer head) or DIT_ONLY (standard final layer)
 * @param adaLnZero    zero-initialise adaLN modulation (DiT); the official DiP code does not
 */
public record DipConfig(int imageSize, int patchSize, int channels, int hidden, int depth, int heads,
                        int numClasses, int headWidth, HeadType head, boolean adaLnZero) {

    public DipConfig {
        require(imageSize > 0 && patchSize > 0, "imageSize %d and patchSize %d must be positive", imageSize, patchSize);
        require(imageSize % patchSize == 0, "imageSize %d is not a multiple of patchSize %d", imageSize, patchSize);
        require(channels > 0, "channels must be positive, got %d", channels);
        require(hidden > 0 && heads > 0 && hidden % heads == 0, "hidden %d is not divisible by heads %d", hidden, heads);
        require((hidden / heads) % 4 == 0, "head dim %d (hidden %d / heads %d) must be divisible by 4 for 2D RoPE",
                hidden / heads, hidden, heads);
        require(depth > 0, "depth must be positive, got %d", depth);
        require(numClasses > 0, "numClasses must be positive, got %d", numClasses);
        require(head != HeadType.DIP || PatchDetailerHead.supports(patchSize),
                "the Patch Detailer Head needs a patch size that is a multiple of 16 or a power of two >= 2, got %d (use head DIT_ONLY)", patchSize);
        require(head != HeadType.DIP || headWidth > 0, "headWidth must be positive, got %d", headWidth);
    }

    /** Grid side: imageSize / patchSize. */
    public int grid() { return imageSize / patchSize; }

    /** N: tokens per image. */
    public int tokens() { return grid() * grid(); }

    /** HS: head dim. */
    public int headDim() { return hidden / heads; }

    /** C·P²: values per patch. */
    public int patchDim() { return channels * patchSize * patchSize; }

    /** SwiGLU hidden width, int(2/3 · 4D) as the official code. */
    public int mlpHidden() { return (int) (2.0 / 3.0 * 4 * hidden); }

    /** Detailer stages: 4 for P = 16·k (the official layout, a (P/16)² bottleneck), else S = log2(P). */
    public int headStages() { return PatchDetailerHead.stagesFor(patchSize); }

    public DipConfig withHead(HeadType h) {
        return new DipConfig(imageSize, patchSize, channels, hidden, depth, heads, numClasses, headWidth, h, adaLnZero);
    }

    public DipConfig withPatchSize(int p) {
        return new DipConfig(imageSize, p, channels, hidden, depth, heads, numClasses, headWidth, head, adaLnZero);
    }

    public DipConfig withChannelsAndClasses(int c, int classes) {
        return new DipConfig(imageSize, patchSize, c, hidden, depth, heads, classes, headWidth, head, adaLnZero);
    }

    static void require(boolean ok, String fmt, Object... args) {
        if (!ok) throw new IllegalArgumentException("bad model config: " + String.format(Locale.ROOT, fmt, args));
    }
}
