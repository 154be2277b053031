package dip.sampler;

import dip.model.Denoiser;

/** ODE solver choice, offered as {@code --solver euler|heun}. */
public enum Solver {
    EULER, HEUN;

    public Sampler create(Denoiser model, int steps, Guidance guidance) {
        return switch (this) {
            case EULER -> new EulerSampler(model, steps, guidance);
            case HEUN -> new HeunSampler(model, steps, guidance);
        };
    }
}
