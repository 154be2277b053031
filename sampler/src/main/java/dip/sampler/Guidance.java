package dip.sampler;

import java.util.Locale;

/**
 * Classifier-free guidance (docs/model-spec.md §5): v = v_u + w·(v_c − v_u) while lo < t < hi (strict, float32), else v = v_c.
 * The paper's best setting is w = 2.9 on [0.11, 0.97]; {@link #NONE} (w = 1) never guides.
 * Note: outside the interval the official code computes v_u + 1.0·(v_c − v_u), which equals v_c up to one
 * rounding; we return v_c itself, which lets the sampler skip the null-class half of the batch there.
 *
 * @param scale w (1 = no guidance)
 * @param lo    guidance starts after this t (exclusive)
 * @param hi    and stops before this t (exclusive)
 */
public record Guidance(float scale, float lo, float hi) {

    /** No guidance: every step uses the conditional velocity. */
    public static final Guidance NONE = new Guidance(1f, 0f, 1f);

    public Guidance {
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("cfg scale must be finite, got " + scale);
        if (!(lo < hi)) {        // an interval reaching past [0, 1] just guides every step there (the CLI refuses it)
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "cfg interval must satisfy lo < hi, got lo=%s hi=%s", lo, hi));
        }
    }

    /** The paper's best: w = 2.9 on [0.11, 0.97] (Table 2 of arXiv 2511.18822). */
    public static Guidance paper() { return new Guidance(2.9f, 0.11f, 0.97f); }

    /** Whether the step at time t is guided: w ≠ 1 and lo < t < hi. */
    public boolean active(float t) { return scale != 1f && lo < t && t < hi; }

    /** v_u + w·(v_c − v_u), in float32 as torch's simple_guidance_fn. */
    public float combine(float vu, float vc) { return vu + scale * (vc - vu); }

    /** Number of guided steps on the grid of {@code steps} steps (diagnostics and tests). */
    public int guidedSteps(float[] timeGrid) {
        int n = 0;
        for (int k = 0; k + 1 < timeGrid.length; k++) if (active(timeGrid[k])) n++;
        return n;
    }
}
