package dip.cli;

import dip.sampler.SampleOutputs;
import dip.sampler.Solver;
import dip.sampler.SamplerListener;
import dip.sampler.TrajectoryRecorder;
import dip.sampler.Guidance;
import dip.sampler.CheckpointModel;
import dip.sampler.Sampler;
import dip.sampler.ImageWriter;
import dip.sampler.ClassSelection;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.model.Denoiser;
import dip.model.DipConfig;
import dip.tornado.exec.Engine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code dip sample}: images from a checkpoint's EMA weights with the Euler (or Heun) ODE and classifier-free
 * guidance. Writes DIR/grid.png (rows = classes), DIR/samples.safetensors (samples as the ODE left them, before
 * any clamp; labels; noise), and on request
 * DIR/images/*.png and DIR/trajectory.gif with DIR/trajectory/frame_*.png. Bad input is a one-line error, exit 2.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sample images from a trained DiP checkpoint (EMA weights) with the Euler or Heun ODE and CFG.")
public final class SampleCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE|DIR",
            description = "safetensors checkpoint with 'dip_config' metadata (EMA weights used when present), or a"
                    + " training run folder (its last.safetensors).")
    Path checkpoint;

    @Option(names = "--class", split = ",", paramLabel = "C",
            description = "Classes by index or name, comma-separated (default: all). One grid row each.")
    List<String> classes;

    @Option(names = "--n-per-class", defaultValue = "8", paramLabel = "N",
            description = "Images per class (default: ${DEFAULT-VALUE}).")
    int perClass;

    @Option(names = "--steps", defaultValue = "50", paramLabel = "N", description = "ODE steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--solver", defaultValue = "euler", paramLabel = "S",
            description = "euler or heun (default: ${DEFAULT-VALUE}).")
    Solver solver;

    @Option(names = "--cfg-scale", defaultValue = "2.9", paramLabel = "W",
            description = "Guidance scale w >= 0: 1 = off, 0 = unconditional (default: ${DEFAULT-VALUE}, the paper's).")
    float cfgScale;

    @Option(names = "--cfg-interval", defaultValue = "0.11,0.97", paramLabel = "LO,HI",
            description = "Guide only while LO < t < HI (default: ${DEFAULT-VALUE}, the paper's).")
    String cfgInterval;

    @Option(names = "--noise", paramLabel = "FILE",
            description = "Start from the safetensors tensor 'noise' (B, C, H, W) instead of the seed.")
    Path noiseFile;

    @Option(names = "--out", defaultValue = "samples", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--grid", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write grid.png (default: on).")
    boolean grid;

    @Option(names = "--individual", description = "Also write one PNG per image under DIR/images.")
    boolean individual;

    @Option(names = "--trajectory", description = "Also write trajectory.gif and trajectory/frame_*.png (x_t | x̂ per step).")
    boolean trajectory;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "N",
            description = "Most rows per model forward (guided steps run [null; cond] pairs) (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--shard", paramLabel = "K/N",
            description = {"Sample only shard K of N (0-based): the job's images split into N contiguous runs, with the"
                    + " one-machine run's noise. Writes DIR/shards/K-of-N.safetensors atomically; --merge-shards N then"
                    + " writes the usual outputs, equal to one machine's byte for byte. For Slurm arrays, Kubernetes"
                    + " indexed jobs or --cluster."})
    String shard;

    @Option(names = "--merge-shards", paramLabel = "N",
            description = "Write the outputs from DIR/shards/*-of-N.safetensors (all N must be there) instead of sampling.")
    Integer mergeShards;

    @Option(names = "--cluster", paramLabel = "MASTER",
            description = "Sample on Apache Spark (needs the dip-cluster jar; docs/scale-out.md): --shards tasks, each"
                    + " retried on failure, then the merge here. --out must be on a file system every worker sees.")
    String cluster;

    @Option(names = "--shards", defaultValue = "2", paramLabel = "N", description = "Tasks for --cluster (default: ${DEFAULT-VALUE}).")
    int shards;

    @Mixin CommonOptions common;   // --engine, --threads, --seed (the noise seed), --verbose: shared with every `dip` command

    @Override
    public Integer call() throws IOException {
        PrintWriter log = spec.commandLine().getOut();
        Guidance guidance = parseGuidance();
        if (steps < 1) throw bad("--steps must be >= 1, got " + steps);
        if (perClass < 1) throw bad("--n-per-class must be >= 1, got " + perClass);
        if (batch < 1) throw bad("--batch must be >= 1, got " + batch);
        if (common.threads() < 1) throw bad("--threads must be >= 1, got " + common.threads());
        Path file = checkpoint;
        if (Files.isDirectory(checkpoint)) {                  // a run folder, as --resume takes it
            file = checkpoint.resolve("last.safetensors");
            if (!Files.isRegularFile(file)) {
                throw new BadInput("--checkpoint " + checkpoint + " is a folder without last.safetensors: give a"
                        + " training run folder or a .safetensors file");
            }
        }
        CheckpointModel ckpt;
        try {
            ckpt = CheckpointModel.open(file);
        } catch (CheckpointModel.BadCheckpoint e) {
            throw new BadInput(e.getMessage());
        }
        DipConfig cfg = ckpt.config();
        int[] cls;
        try {
            cls = ClassSelection.resolve(classes, ckpt.classNames());
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        int B = cls.length * perClass, C = cfg.channels(), S = cfg.imageSize(), per = C * S * S;
        int[] labels = new int[B];
        for (int b = 0; b < B; b++) labels[b] = cls[b / perClass];
        checkOutputFolder(out);                                // before the sampling, not after it
        if (cluster != null) return launchCluster(log);
        if (mergeShards != null) {
            if (shard != null) throw bad("--shard and --merge-shards do not go together: sample the shards, then merge");
            int jobRows = Math.min(batch, guidance.scale() == 1f ? B : 2 * B);
            return merge(log, ckpt, cfg, cls, labels, B, guidance, chunkImages(jobRows, guidance));
        }
        int jobRows = Math.min(batch, guidance.scale() == 1f ? B : 2 * B);   // the one-machine run's forward size
        int[] range = shard == null ? new int[]{0, B} : shardRange(shard, B, chunkImages(jobRows, guidance));
        if (shard != null && trajectory) throw bad("--trajectory needs the whole job on one machine: drop --shard");
        float[] noise = noiseFile != null ? readNoise(noiseFile, B, C, S) : null;
        if (shard != null) {
            noise = noiseFile != null ? Arrays.copyOfRange(noise, range[0] * per, range[1] * per)
                    : ShardNoise.slice(common.seed(), range[0], range[1], per);
            labels = Arrays.copyOfRange(labels, range[0], range[1]);
            B = range[1] - range[0];
        } else if (noise == null) {
            noise = Sampler.noise(common.seed(), B, per);
        }

        try (Engine engine = common.createEngine()) {
            Denoiser model = ckpt.build(engine, jobRows);      // a shard runs the whole job's chunks, not its own
            log.printf(Locale.ROOT, "checkpoint %s (%s weights), %d classes, %dx%dx%d images, engine %s%n", file,
                    ckpt.prefix().isEmpty() ? "plain" : ckpt.prefix(), cfg.numClasses(), C, S, S, engine.name());
            log.printf(Locale.ROOT, "sampling %d images: %s, %d steps, cfg %.3g on (%.3g, %.3g) (%d guided steps), %s%n",
                    B, solver.name().toLowerCase(Locale.ROOT), steps, guidance.scale(), guidance.lo(), guidance.hi(),
                    guidance.guidedSteps(dip.flow.FlowPath.timeGrid(steps)),
                    noiseFile != null ? "noise " + noiseFile : "seed " + common.seed());
            String[] rowLabels = new String[cls.length];
            for (int r = 0; r < cls.length; r++) rowLabels[r] = ckpt.classNames().get(cls[r]);
            float[] x = noise.clone();
            long t0 = System.nanoTime();
            var progress = new Progress(log, steps, t0);
            var unclamped = new Unclamped();
            if (trajectory) {
                try (var rec = new TrajectoryRecorder(out.resolve("trajectory.gif"), out.resolve("trajectory"), C, S, S,
                        cls.length, perClass, rowLabels, ImageWriter.defaultScale(S), 80)) {
                    solver.create(model, steps, guidance).sample(x, labels, B, both(both(progress, unclamped), rec));
                }
            } else {
                solver.create(model, steps, guidance).sample(x, labels, B, both(progress, unclamped));
            }
            x = unclamped.result(x);                           // the ODE's own result; the PNGs clip it to uint8
            log.printf(Locale.ROOT, "sampled in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            if (shard != null) {
                Path f = ShardFiles.write(out, range, cls.length * perClass, shardIndex(shard), shardCount(shard), x, noise,
                        labels, C, S, describe(guidance));
                log.println("wrote shard " + shard + " (images " + range[0] + ".." + (range[1] - 1) + ") to " + f);
                return ExitCodes.OK;
            }
            SampleOutputs.write(out, x, noise, labels, B, cfg, ckpt, rowLabels, perClass, grid, individual, describe(guidance));
            log.println("wrote " + out + (grid ? "/grid.png, " : "/") + "samples.safetensors"
                    + (individual ? ", images/" : "") + (trajectory ? ", trajectory.gif, trajectory/" : ""));
        } catch (CheckpointModel.BadCheckpoint e) {
            throw new BadInput(e.getMessage());
        }
        return ExitCodes.OK;
    }

    /** Reads the N shards back and writes what one machine would have written. */
    private int merge(PrintWriter log, CheckpointModel ckpt, DipConfig cfg, int[] cls, int[] labels, int B, Guidance g,
                      int chunk) throws IOException {
        if (mergeShards < 1) throw bad("--merge-shards must be >= 1, got " + mergeShards);
        int C = cfg.channels(), S = cfg.imageSize();
        float[][] xn;
        try {
            if (mergeShards > (B + chunk - 1) / chunk) throw new IllegalArgumentException("--merge-shards " + mergeShards
                    + " is more shards than this job has forward chunks (" + (B + chunk - 1) / chunk + ")");
            xn = ShardFiles.read(out, mergeShards, B, chunk, labels, C, S, describe(g));
        } catch (IllegalArgumentException e) {
            throw new BadInput(e.getMessage());
        }
        String[] rowLabels = new String[cls.length];
        for (int r = 0; r < cls.length; r++) rowLabels[r] = ckpt.classNames().get(cls[r]);
        SampleOutputs.write(out, xn[0], xn[1], labels, B, cfg, ckpt, rowLabels, perClass, grid, individual, describe(g));
        log.println("merged " + mergeShards + " shards into " + out + (grid ? "/grid.png, " : "/") + "samples.safetensors"
                + (individual ? ", images/" : ""));
        return ExitCodes.OK;
    }

    /** Hands the shards to the ClusterLauncher: the same command line as ranks' `--shard k/N`, then the merge here. */
    private int launchCluster(PrintWriter log) throws IOException {
        if (shard != null || mergeShards != null) throw bad("--cluster runs the shards and the merge itself: drop --shard/--merge-shards");
        if (shards < 1) throw bad("--shards must be >= 1, got " + shards);
        if (trajectory) throw bad("--trajectory needs the whole job on one machine: drop --cluster");
        ClusterLauncher launcher = ClusterLauncher.find();
        List<String> given = spec.commandLine().getParseResult().originalArgs();
        if (!given.isEmpty() && given.get(0).equals("sample")) given = given.subList(1, given.size());
        List<String> args = new java.util.ArrayList<>(List.of("sample"));
        args.addAll(TrainCommand.withoutOptions(given, "--cluster", "--shards", "--out", "--checkpoint", "--noise"));
        args.addAll(List.of("--out", out.toAbsolutePath().toString(), "--checkpoint", checkpoint.toAbsolutePath().toString()));
        if (noiseFile != null) args.addAll(List.of("--noise", noiseFile.toAbsolutePath().toString()));
        var ps = new java.io.PrintStream(new TrainCommand.WriterStream(log), true, java.nio.charset.StandardCharsets.UTF_8);
        return launcher.sample(cluster, shards, args, out.toAbsolutePath(), ps);
    }

    /**
     * Images per model forward in the one-machine run (GuidedVelocity's chunks: the rows, or half of them when each
     * image runs as a [null; cond] pair). Shards are cut at these chunk boundaries and run with the same forward
     * size, so every image goes through the very same forwards as on one machine: the kernels' results for a row
     * may depend on how many rows a forward has (blocking, vector tails), so "same image, other batch" is not enough.
     */
    static int chunkImages(int rows, Guidance g) { return g.scale() == 1f ? rows : Math.max(1, rows / 2); }

    /** [first, end) of shard K of N: whole forward chunks of the job, split as evenly as chunks allow, in order. */
    int[] shardRange(String kn, int B, int chunk) {
        int k = shardIndex(kn), n = shardCount(kn), chunks = (B + chunk - 1) / chunk;
        if (n > chunks) {
            throw bad("--shard " + kn + ": this job's " + B + " images run as " + chunks + " forward chunks of " + chunk
                    + " (--batch " + batch + "), so at most " + chunks + " shards; use fewer shards or a smaller --batch");
        }
        return ShardFiles.range(k, n, B, chunk);
    }

    private int shardIndex(String kn) { return parseShard(kn)[0]; }

    private int shardCount(String kn) { return parseShard(kn)[1]; }

    private int[] parseShard(String kn) {
        String[] p = kn.split("/", -1);
        try {
            if (p.length == 2) {
                int k = Integer.parseInt(p[0].trim()), n = Integer.parseInt(p[1].trim());
                if (n >= 1 && k >= 0 && k < n) return new int[]{k, n};
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw bad("--shard must be K/N with 0 <= K < N (e.g. 0/4 ... 3/4), got '" + kn + "'");
    }

    private String describe(Guidance g) {
        return String.format(Locale.ROOT, "{\"solver\":\"%s\",\"steps\":%d,\"cfg_scale\":%s,\"cfg_interval\":[%s,%s],\"seed\":%s}",
                solver.name().toLowerCase(Locale.ROOT), steps, g.scale(), g.lo(), g.hi(),
                noiseFile != null ? "null" : Long.toString(common.seed()));
    }

    private Guidance parseGuidance() {
        String[] parts = cfgInterval.split(",");
        float lo, hi;
        try {
            if (parts.length != 2) throw new NumberFormatException();
            lo = Float.parseFloat(parts[0].trim());
            hi = Float.parseFloat(parts[1].trim());
        } catch (NumberFormatException e) {
            throw bad("--cfg-interval must be LO,HI (two numbers), got '" + cfgInterval + "'");
        }
        if (!(lo >= 0f && hi <= 1f && lo < hi)) {
            throw bad("--cfg-interval must satisfy 0 <= LO < HI <= 1, got " + lo + "," + hi);
        }
        if (!Float.isFinite(cfgScale) || cfgScale < 0) {
            throw bad("--cfg-scale must be a number >= 0 (0 = unconditional, 1 = no guidance, above 1 = stronger), got " + cfgScale);
        }
        return new Guidance(cfgScale, lo, hi);
    }

    private float[] readNoise(Path file, int B, int C, int S) {
        try {
            Tensor t = Safetensors.read(file).tensor("noise");
            int[] want = {B, C, S, S};
            if (!Arrays.equals(t.shape(), want)) {
                throw new BadInput("noise " + file + " has shape " + Arrays.toString(t.shape()) + " but " + B
                        + " images of this model need " + Arrays.toString(want));
            }
            return t.floats();
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            throw new BadInput("cannot use noise file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Makes sure the samples can be written to {@code dir} before any sampling, creating nothing: the nearest existing
     * folder on the way must be a folder and take a probe file (written and deleted). Throws BadInput naming the path
     * and the problem (a file where a folder should be, a read-only folder).
     */
    static void checkOutputFolder(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new BadInput("--out " + dir + " is a file, not a folder: pick another --out");
        }
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) p = p.getParent();
        if (p == null) throw new BadInput("cannot create --out " + dir + ": no part of the path exists");
        if (!Files.isDirectory(p)) throw new BadInput("cannot create --out " + dir + ": " + p + " is a file, not a folder");
        try {
            Files.delete(Files.createTempFile(p, ".dip-write-probe", ".tmp"));
        } catch (java.nio.file.AccessDeniedException e) {
            throw new BadInput("cannot write into --out " + dir + ": no permission to write in " + p
                    + " (read-only folder): pick another --out");
        } catch (IOException e) {
            throw new BadInput("cannot write into --out " + dir + ": " + e + ": pick another --out");
        }
    }

    /**
     * Keeps the sampler's result before its final clamp to [−1, 1]. Both solvers end with an Euler step from the last
     * t on the grid to t = 1, so x̂ = x_t + (1 − t)·v passed to the listener before that step is that step's result,
     * to the bit (dt = 1 − t); SampleCommandTest holds this to the solvers' clamped output.
     */
    static final class Unclamped implements SamplerListener {
        private float[] last;

        @Override
        public void onStep(int k, int n, float t, float[] xt, float[] xhat, int B) {
            if (k == n - 1) last = xhat.clone();
        }

        /** The unclamped final sample, or {@code clamped} when no step was seen. */
        float[] result(float[] clamped) { return last != null ? last : clamped; }
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static SamplerListener both(SamplerListener a, SamplerListener b) {
        return (k, n, t, xt, xhat, B) -> {
            a.onStep(k, n, t, xt, xhat, B);
            b.onStep(k, n, t, xt, xhat, B);
        };
    }

    /** One line every ~10% of the steps: step, t, ms/step. */
    private record Progress(PrintWriter log, int steps, long t0) implements SamplerListener {
        @Override
        public void onStep(int k, int n, float t, float[] xt, float[] xhat, int B) {
            int every = Math.max(1, steps / 10);
            if (k == 0 || k % every != 0 || k == n) return;
            double ms = (System.nanoTime() - t0) / 1e6 / k;
            log.printf(Locale.ROOT, "step %d/%d | t %.3f | %.0f ms/step%n", k, n, t, ms);
            log.flush();
        }
    }
}
