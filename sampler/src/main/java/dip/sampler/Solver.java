package dip.sampler;

import dip.model.Denoiser;

/**
 * ODE solver choice, offered as {@code --solver euler|heun|ab2}: Euler (the paper's), Heun (2 model calls a step)
 * and PixNerd's Adams–Bashforth multistep method of order 2 (1 model call a step, second order).
 */
public enum Solver {
    EULER, HEUN, AB2;

    public Sampler create(Denoiser model, int steps, Guidance guidance) { return create(model, steps, guidance, 1f); }

    /** The solver on the time grid shifted by {@code timeshift} (1 = the paper's grid). */
    public Sampler create(Denoiser model, int steps, Guidance guidance, float timeshift) {
        return switch (this) {
            case EULER -> new EulerSampler(model, steps, guidance, timeshift);
            case HEUN -> new HeunSampler(model, steps, guidance, timeshift);
            case AB2 -> new AdamsSampler(model, steps, guidance, timeshift);
        };
    }
}
