package dip.cli;

import dip.io.Safetensors;
import dip.io.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The shards of a sampling job on disk: DIR/shards/K-of-N.safetensors, each written atomically (Safetensors.write:
 * temp file, fsync, rename), so a task that dies or is retried leaves either no file or a whole one, and a retry
 * simply writes it again. Each holds its samples, labels and noise, and says which images they are (first, total)
 * and with which sampler settings, so the merge can refuse shards of another job.
 */
final class ShardFiles {
    private ShardFiles() {
    }

    /** [first, end) of shard k of n over B images in forward chunks of {@code chunk}: whole chunks, evenly, in order. */
    static int[] range(int k, int n, int B, int chunk) {
        int chunks = (B + chunk - 1) / chunk;
        return new int[]{Math.min(B, (int) ((long) k * chunks / n) * chunk), Math.min(B, (int) ((long) (k + 1) * chunks / n) * chunk)};
    }

    static Path file(Path out, int k, int n) {
        return out.resolve("shards").resolve(String.format(Locale.ROOT, "%d-of-%d.safetensors", k, n));
    }

    static Path write(Path out, int[] range, int total, int k, int n, float[] x, float[] noise, int[] labels, int C, int S,
                      String settings) throws IOException {
        int B = range[1] - range[0], per = C * S * S;
        Path f = file(out, k, n);
        Files.createDirectories(f.getParent());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("shard", k + "/" + n);
        meta.put("first", Integer.toString(range[0]));
        meta.put("total", Integer.toString(total));
        meta.put("sampler", settings);
        int[] shape = {B, C, S, S};
        Safetensors.write(f, List.of(Tensor.f32("samples", shape, Arrays.copyOf(x, B * per)),
                Tensor.i32("labels", new int[]{B}, labels.clone()), Tensor.f32("noise", shape, Arrays.copyOf(noise, B * per))),
                meta);
        return f;
    }

    /**
     * {samples, noise} of the whole job from its n shards, checked against the job (B images with these labels, these
     * sampler settings). Throws IllegalArgumentException naming the shard and the problem.
     */
    static float[][] read(Path out, int n, int B, int chunk, int[] labels, int C, int S, String settings) throws IOException {
        int per = C * S * S;
        float[] x = new float[B * per], noise = new float[B * per];
        for (int k = 0; k < n; k++) {
            Path f = file(out, k, n);
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("shard " + k + " of " + n + " is missing (" + f + "): run `dip sample"
                        + " --shard " + k + "/" + n + "` with the same options first");
            }
            var c = Safetensors.read(f);
            int[] r = range(k, n, B, chunk);
            int first = r[0], end = r[1];
            Map<String, String> m = c.metadata();
            if (!Integer.toString(B).equals(m.get("total")) || !Integer.toString(first).equals(m.get("first"))
                    || !settings.equals(m.get("sampler"))
                    || !Arrays.equals(c.tensor("labels").ints(), Arrays.copyOfRange(labels, first, end))) {
                throw new IllegalArgumentException(f + " is a shard of another job (" + m.get("total") + " images from "
                        + m.get("first") + ", sampler " + m.get("sampler") + "): sample it again with these options");
            }
            System.arraycopy(c.tensor("samples").floats(), 0, x, first * per, (end - first) * per);
            System.arraycopy(c.tensor("noise").floats(), 0, noise, first * per, (end - first) * per);
        }
        return new float[][]{x, noise};
    }
}
