package dip.trainer;

/**
 * Learning rate per step: constant (the paper's recipe), with an optional linear warmup. The update with 0-based
 * index s uses lr·(s + 1)/warmup while s < warmup, then lr. warmup = 0 means constant from the first step.
 */
public record LrSchedule(double lr, int warmupSteps) {
    public LrSchedule {
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup steps must be >= 0, got " + warmupSteps);
    }

    /** The rate for the update with 0-based index {@code step}. */
    public double at(long step) {
        if (step < warmupSteps) return lr * (step + 1) / warmupSteps;
        return lr;
    }
}
