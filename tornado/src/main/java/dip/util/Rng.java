package dip.util;

/**
 * Deterministic random numbers: xoshiro256** seeded by SplitMix64, normals by Box–Muller.
 * The whole state is four longs plus one cached normal, so a checkpoint can save and restore it exactly
 * ({@link #state()} / {@link #setState(long[])}). Not thread-safe: give each consumer its own Rng.
 */
public final class Rng {
    private long s0, s1, s2, s3;
    private boolean haveSpare;
    private double spare;

    public Rng(long seed) {
        long z = seed;
        s0 = splitMix(z += 0x9E3779B97F4A7C15L);
        s1 = splitMix(z += 0x9E3779B97F4A7C15L);
        s2 = splitMix(z += 0x9E3779B97F4A7C15L);
        s3 = splitMix(z + 0x9E3779B97F4A7C15L);
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1) as float (24 random bits). */
    public float uniform() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform integer in [0, n). */
    public int nextInt(int n) {
        if (n <= 0) throw new IllegalArgumentException("bound must be positive, got " + n);
        return (int) Math.floorMod(nextLong() >>> 1, (long) n);
    }

    /** Standard normal N(0, 1) (Box–Muller, the second value cached). */
    public double nextGaussian() {
        if (haveSpare) {
            haveSpare = false;
            return spare;
        }
        double u1, u2;
        do { u1 = nextDouble(); } while (u1 <= 1e-300);
        u2 = nextDouble();
        double mag = Math.sqrt(-2.0 * Math.log(u1));
        spare = mag * Math.sin(2 * Math.PI * u2);
        haveSpare = true;
        return mag * Math.cos(2 * Math.PI * u2);
    }

    /** Fills a[0..n) with N(0, std²). */
    public void fillNormal(float[] a, int n, float std) {
        for (int i = 0; i < n; i++) a[i] = (float) (nextGaussian() * std);
    }

    /** A new array of n standard normals. */
    public float[] normal(int n) {
        float[] a = new float[n];
        fillNormal(a, n, 1f);
        return a;
    }

    /** Fills a[0..n) with U(lo, hi). */
    public void fillUniform(float[] a, int n, float lo, float hi) {
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * uniform();
    }

    /** Complete state, for checkpoints: {s0, s1, s2, s3, haveSpare, bits(spare)}. */
    public long[] state() {
        return new long[]{s0, s1, s2, s3, haveSpare ? 1 : 0, Double.doubleToRawLongBits(spare)};
    }

    public void setState(long[] st) {
        if (st.length != 6) throw new IllegalArgumentException("Rng state must have 6 longs, got " + st.length);
        s0 = st[0]; s1 = st[1]; s2 = st[2]; s3 = st[3];
        haveSpare = st[4] != 0;
        spare = Double.longBitsToDouble(st[5]);
    }
}
