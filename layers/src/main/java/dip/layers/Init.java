package dip.layers;

import dip.util.Rng;

/**
 * Weight initialisers, matching torch.nn.init on the PyTorch weight shapes (out/in first, then the kernel).
 * fan_in = shape[1]·receptive, fan_out = shape[0]·receptive, receptive = Π shape[2:] (torch's
 * _calculate_fan_in_and_fan_out). Randomness is an argument, so a seed replays every draw.
 */
public final class Init {
    private Init() {
    }

    /** torch fan_in of a weight: shape[1]·Π shape[2:]. For ConvTranspose2d (in, out, k, k) that is out·k·k, as torch computes it. */
    public static int fanIn(Param w) {
        int[] s = w.shape();
        if (s.length < 2) throw new IllegalArgumentException("fan in needs a weight with >= 2 dims, got " + w);
        return s[1] * receptive(s);
    }

    /** torch fan_out of a weight: shape[0]·Π shape[2:]. */
    public static int fanOut(Param w) {
        int[] s = w.shape();
        if (s.length < 2) throw new IllegalArgumentException("fan out needs a weight with >= 2 dims, got " + w);
        return s[0] * receptive(s);
    }

    private static int receptive(int[] s) {
        int r = 1;
        for (int i = 2; i < s.length; i++) r *= s[i];
        return r;
    }

    /** nn.init.xavier_uniform_ (gain 1): U(−a, a), a = √(6 / (fan_in + fan_out)). */
    public static void xavierUniform(Param w, Rng rng) {
        uniform(w, (float) Math.sqrt(6.0 / (fanIn(w) + fanOut(w))), rng);
    }

    /**
     * PyTorch's default for nn.Linear and nn.Conv2d / nn.ConvTranspose2d (reset_parameters): kaiming_uniform_(a = √5),
     * which is U(−1/√fan_in, 1/√fan_in) for the weight (gain √(2/(1+5)) times √(3/fan_in)), and the same bound for the
     * bias. bias may be null.
     */
    public static void torchDefault(Param w, Param bias, Rng rng) {
        float bound = (float) (1.0 / Math.sqrt(fanIn(w)));
        uniform(w, bound, rng);
        if (bias != null) uniform(bias, bound, rng);
    }

    /** PyTorch default init of nn.Linear (weight (out, in)): see {@link #torchDefault}. */
    public static void torchDefaultLinear(Param w, Param bias, Rng rng) {
        torchDefault(w, bias, rng);
    }

    /** PyTorch default init of nn.Conv2d (weight (out, in, k, k)) and nn.ConvTranspose2d (weight (in, out, k, k)). */
    public static void torchDefaultConv(Param w, Param bias, Rng rng) {
        torchDefault(w, bias, rng);
    }

    /** nn.init.normal_(mean 0, std). */
    public static void normal(Param p, float std, Rng rng) {
        float[] v = new float[p.size()];
        rng.fillNormal(v, v.length, std);
        p.load(v);
    }

    /** U(−bound, bound). */
    public static void uniform(Param p, float bound, Rng rng) {
        float[] v = new float[p.size()];
        rng.fillUniform(v, v.length, -bound, bound);
        p.load(v);
    }

    /** nn.init.constant_. */
    public static void constant(Param p, float v) {
        p.fill(v);
    }

    /** nn.init.zeros_. */
    public static void zeros(Param p) {
        constant(p, 0f);
    }
}
