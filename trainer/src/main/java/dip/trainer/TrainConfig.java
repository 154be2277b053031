package dip.trainer;

import java.util.Locale;

/**
 * The training hyperparameters that decide the numbers (docs/model-spec.md §4). Stored in every checkpoint, so a resumed
 * run uses exactly the values it started with. Scalars only, validated on construction.
 *
 * @param batchSize    images per step
 * @param lr           AdamW peak learning rate
 * @param beta1        AdamW β1
 * @param beta2        AdamW β2
 * @param weightDecay  AdamW decoupled weight decay
 * @param emaDecay     EMA decay per step
 * @param classDropout probability of replacing a label with the null class
 * @param warmupSteps  linear warmup length (0 = constant lr)
 * @param clipNorm     global gradient-norm clip (0 = off)
 * @param seed         seeds the model init, the noise and the data order
 */
public record TrainConfig(int batchSize, double lr, double beta1, double beta2, double weightDecay,
                          double emaDecay, double classDropout, int warmupSteps, double clipNorm, long seed) {

    public TrainConfig {
        require(batchSize > 0, "batch size must be positive, got %d", batchSize);
        require(lr > 0 && Double.isFinite(lr), "learning rate must be positive, got %s", lr);
        require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "betas must be in [0, 1), got %s, %s", beta1, beta2);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight decay must be >= 0, got %s", weightDecay);
        require(emaDecay >= 0 && emaDecay <= 1, "EMA decay must be in [0, 1], got %s", emaDecay);
        require(classDropout >= 0 && classDropout <= 1, "class-dropout probability must be in [0, 1], got %s", classDropout);
        require(warmupSteps >= 0, "warmup steps must be >= 0, got %d", warmupSteps);
        require(clipNorm >= 0 && Double.isFinite(clipNorm), "clip norm must be >= 0 (0 = off), got %s", clipNorm);
    }

    /** The paper's recipe at a given batch size and seed: lr 1e-4, betas (0.9, 0.999), wd 0, EMA 0.9999, p 0.1. */
    public static TrainConfig paper(int batchSize, long seed) {
        return new TrainConfig(batchSize, 1e-4, 0.9, 0.999, 0.0, 0.9999, 0.1, 0, 0.0, seed);
    }

    public LrSchedule schedule() { return new LrSchedule(lr, warmupSteps); }

    private static void require(boolean ok, String fmt, Object... args) {
        if (!ok) throw new IllegalArgumentException("bad training config: " + String.format(Locale.ROOT, fmt, args));
    }
}
