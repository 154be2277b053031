package dip.cli;

import dip.util.Rng;

/**
 * The starting noise of images [first, end) of a sampling job: exactly the slice of what one machine draws for the
 * whole job (Sampler.noise: one Rng(seed), image after image), so the shards of a job add up to the one-machine
 * result. The Rng is sequential, so a shard steps over the earlier images' values without keeping them: O(end)
 * time, O(end − first) memory (a 50,000-image ImageNet-256 job: about 10⁹·10 normals for its last shard, a minute or
 * two, next to hours of sampling).
 */
final class ShardNoise {
    private ShardNoise() {
    }

    static float[] slice(long seed, int first, int end, int per) {
        Rng r = new Rng(seed);
        for (long i = 0, skip = (long) first * per; i < skip; i++) r.nextGaussian();
        float[] a = new float[(end - first) * per];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * 1f);   // as Rng.fillNormal(a, n, 1f)
        return a;
    }
}
