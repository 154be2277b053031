package dip.cli;

import dip.io.Safetensors;
import dip.io.SafetensorsReader;
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
 * simply writes it again. Each holds its samples (as the ODE left them), labels and noise, and says which images
 * they are (first, total), in which forward chunks, with which sampler settings and on which engine, so the merge
 * can refuse shards of another job and stamp each individual PNG with the engine that made it.
 */
final class ShardFiles {
    private ShardFiles() {
    }

    /** One shard read back: images [first, end) of the job. */
    record Shard(int first, int end, float[] samples, float[] noise, String engine) {
    }

    /** [first, end) of shard k of n over B images in forward chunks of {@code chunk}: whole chunks, evenly, in order. */
    static int[] range(int k, int n, int B, int chunk) {
        int chunks = (B + chunk - 1) / chunk;
        return new int[]{Math.min(B, (int) ((long) k * chunks / n) * chunk), Math.min(B, (int) ((long) (k + 1) * chunks / n) * chunk)};
    }

    static Path file(Path out, int k, int n) {
        return out.resolve("shards").resolve(String.format(Locale.ROOT, "%d-of-%d.safetensors", k, n));
    }

    static Path write(Path out, int[] range, int total, int chunk, int k, int n, float[] x, float[] noise, int[] labels,
                      int C, int S, String settings, String engine) throws IOException {
        int B = range[1] - range[0], per = C * S * S;
        Path f = file(out, k, n);
        Files.createDirectories(f.getParent());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("shard", k + "/" + n);
        meta.put("first", Integer.toString(range[0]));
        meta.put("total", Integer.toString(total));
        meta.put("chunk", Integer.toString(chunk));
        meta.put("sampler", settings);
        meta.put("engine", engine);
        int[] shape = {B, C, S, S};
        Safetensors.write(f, List.of(Tensor.f32("samples", shape, Arrays.copyOf(x, B * per)),
                Tensor.i32("labels", new int[]{B}, labels.clone()), Tensor.f32("noise", shape, Arrays.copyOf(noise, B * per))),
                meta);
        return f;
    }

    /**
     * Checks that all n shards are there and belong to this job (B images with these labels, in forward chunks of
     * {@code chunk}, these sampler settings), reading only their headers and labels. Throws IllegalArgumentException
     * naming the shard and the problem.
     */
    static void check(Path out, int n, int B, int chunk, int[] labels, String settings) throws IOException {
        for (int k = 0; k < n; k++) {
            Path f = file(out, k, n);
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("shard " + k + " of " + n + " is missing (" + f + "): run `dip sample"
                        + " --shard " + k + "/" + n + "` with the same options first");
            }
            int[] r = range(k, n, B, chunk);
            try (SafetensorsReader in = Safetensors.open(f)) {
                Map<String, String> m = in.metadata();
                if (!Integer.toString(B).equals(m.get("total")) || !Integer.toString(r[0]).equals(m.get("first"))
                        || !Integer.toString(chunk).equals(m.get("chunk")) || !settings.equals(m.get("sampler"))
                        || !in.tensors().containsKey("labels")
                        || !Arrays.equals(in.read("labels").ints(), Arrays.copyOfRange(labels, r[0], r[1]))) {
                    throw new IllegalArgumentException(f + " is a shard of another job (" + m.get("total") + " images from "
                            + m.get("first") + " in chunks of " + m.get("chunk") + ", sampler " + m.get("sampler")
                            + "): sample it again with these options");
                }
            }
        }
    }

    /** Shard k of n of a job of B images in chunks of {@code chunk} (checked with {@link #check} first). */
    static Shard read(Path out, int k, int n, int B, int chunk) throws IOException {
        int[] r = range(k, n, B, chunk);
        try (SafetensorsReader in = Safetensors.open(file(out, k, n))) {
            return new Shard(r[0], r[1], in.read("samples").floats(), in.read("noise").floats(),
                    in.metadata().getOrDefault("engine", "?"));
        }
    }
}
