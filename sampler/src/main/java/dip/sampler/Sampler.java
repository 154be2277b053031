package dip.sampler;

import dip.util.Rng;

/**
 * An ODE solver from t = 0 (noise) to t = 1 (data) on the time grid {@code dip.flow.FlowPath.timeGrid(steps)}.
 * Implementations: {@link EulerSampler} (what the paper uses), {@link HeunSampler} and {@link AdamsSampler} (PixNerd's
 * Adams–Bashforth, order 2), each optionally on a shifted grid ({@code FlowPath.timeGrid(steps, shift)}). All take
 * their randomness as an argument (the starting noise), so a seed or a noise file gives identical images.
 */
public interface Sampler {

    /** Number of ODE steps. */
    int steps();

    /**
     * Integrates x (B, C, H, W) in place from t = 0 (on entry: the starting noise) to t = 1 for labels y (B) in
     * [0, numClasses] (numClasses = the null class: unconditional), then clamps it to [−1, 1] as the reference
     * sampler does; returns x. Any B: the model is called in chunks that fit {@code model.maxBatch()}.
     */
    float[] sample(float[] x, int[] y, int B, SamplerListener listener);

    default float[] sample(float[] x, int[] y, int B) { return sample(x, y, B, SamplerListener.NONE); }

    /**
     * As {@link #sample} but leaves x as the ODE made it, without the final clamp (the last listener call then sees
     * that unclamped x): what {@code dip sample} stores in samples.safetensors.
     */
    float[] integrate(float[] x, int[] y, int B, SamplerListener listener);

    /** Starting noise from a seed: B·per standard normals from {@code new Rng(seed)}, in (B, C, H, W) order. */
    static float[] noise(long seed, int B, int per) { return new Rng(seed).normal(B * per); }

    /**
     * The starting noise of image {@code index} of a run with this seed: C·H·W standard normals from its own
     * generator, {@code new Rng(seed ^ h(index))} with h(i) = the first output of {@code new Rng(i)}. So image i is
     * the same whether it is sampled in a batch of any size, alone, or in a batch that starts elsewhere
     * ({@code dip sample --first-index}); unlike seeds seed, seed + 1, … (diffusers' habit) runs with neighbouring
     * seeds share no image.
     */
    static float[] imageNoise(long seed, long index, int per) {
        return new Rng(seed ^ new Rng(index).nextLong()).normal(per);
    }

    /** Noise for images first .. first + B − 1 of a run, (B, per), each from {@link #imageNoise(long, long, int)}. */
    static float[] imageNoise(long seed, long first, int B, int per) {
        float[] out = new float[B * per];
        for (int b = 0; b < B; b++) System.arraycopy(imageNoise(seed, first + b, per), 0, out, b * per, per);
        return out;
    }

    /**
     * Images in [−1, 1] to bytes as the official code: clip((x + 1)·127.5 + 0.5, 0, 255), then truncate
     * (float32 arithmetic). Read a result back with {@code b & 0xFF}.
     */
    static byte[] toUint8(float[] x, int n) {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) out[i] = (byte) toUint8(x[i]);
        return out;
    }

    /** One value of {@link #toUint8(float[], int)}, as an int in [0, 255]. */
    static int toUint8(float x) {
        float q = (x + 1f) * 127.5f + 0.5f;
        return (int) Math.max(0f, Math.min(255f, q));
    }
}
