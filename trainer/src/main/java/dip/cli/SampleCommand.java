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
import dip.io.Npz;
import dip.io.TorchCheckpoint.Weights;
import dip.sampler.PngText;
import dip.model.Denoiser;
import dip.model.DipConfig;
import dip.tornado.exec.Engine;
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
 * {@code dip sample}: images from a checkpoint (the project's safetensors, a training run folder, or a PyTorch
 * Lightning .ckpt / .pt / .pth) with the Euler, Heun or Adams–Bashforth ODE and classifier-free guidance. Image i
 * of a run starts from its own noise (seed, i), so it is the same image in any batch or alone. Writes
 * DIR/grid.png (rows = classes), DIR/samples.safetensors (samples as the ODE left them, before any clamp; labels;
 * noise), and on request DIR/images/*.png (each with its settings in a PNG text chunk, which --from-png replays),
 * an ADM-layout .npz (streamed) and DIR/trajectory.gif with DIR/trajectory/frame_*.png. Bad input is a one-line
 * error, exit 2, before anything is written.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Sample images from a DiP checkpoint (EMA weights by default) with the Euler, Heun or"
                + " Adams-Bashforth (ab2) ODE and CFG.",
                "The shape options (--preset, --image-size ...) start from the checkpoint's own config (stored, or"
                + " inferred from a PyTorch file's tensor shapes) and are checked against every tensor."})
public final class SampleCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--checkpoint", paramLabel = "FILE|DIR",
            description = "The project's .safetensors (config in its 'dip_config' metadata), a training run folder (its"
                    + " last.safetensors), or a PyTorch .ckpt/.pt/.pth (config inferred from the shapes, or given with"
                    + " --preset and the shape options). Required, except with --from-png when the PNG's path still exists.")
    Path checkpoint;

    @Option(names = "--weights", defaultValue = "ema", paramLabel = "W",
            description = "ema or live: which weights of a training checkpoint (default: ${DEFAULT-VALUE}, as the paper samples).")
    Weights weights;

    @Option(names = "--class", split = ",", paramLabel = "C",
            description = "Classes by index or name, comma-separated (default: all). One grid row each.")
    List<String> classes;

    @Option(names = "--n-per-class", defaultValue = "8", paramLabel = "N",
            description = "Images per class (default: ${DEFAULT-VALUE}).")
    int perClass;

    @Option(names = "--first-index", defaultValue = "0", paramLabel = "I",
            description = "Number of the first image: image b of this run is image I + b of the seed, with noise (seed,"
                    + " I + b); so --class C --n-per-class 1 --first-index I makes image I of a larger run alone"
                    + " (default: ${DEFAULT-VALUE}).")
    long firstIndex;

    @Option(names = "--steps", defaultValue = "50", paramLabel = "N", description = "ODE steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--solver", defaultValue = "euler", paramLabel = "S",
            description = "euler, heun or ab2 (PixNerd's Adams-Bashforth, order 2) (default: ${DEFAULT-VALUE}).")
    Solver solver;

    @Option(names = "--timeshift", defaultValue = "1", paramLabel = "S",
            description = "Time grid t -> t/(t + (1-t)·S); S > 1 spends more steps near the noise, 1 = the paper's grid"
                    + " (default: ${DEFAULT-VALUE}).")
    float timeshift;

    @Option(names = "--cfg-scale", defaultValue = "2.9", paramLabel = "W",
            description = "Guidance scale w >= 0: 1 = off, 0 = unconditional (default: ${DEFAULT-VALUE}, the paper's).")
    float cfgScale;

    @Option(names = "--cfg-interval", defaultValue = "0.11,0.97", paramLabel = "LO,HI",
            description = "Guide only while LO < t < HI (default: ${DEFAULT-VALUE}, the paper's).")
    String cfgInterval;

    @Option(names = "--noise", paramLabel = "FILE",
            description = "Start from the safetensors tensor 'noise' (B, C, H, W) instead of the seed; its tensor"
                    + " 'labels' (B), when present, gives the classes (e.g. a samples.safetensors).")
    Path noiseFile;

    @Option(names = "--from-png", paramLabel = "FILE",
            description = "Make again the image FILE (written by --individual) from the settings in its text chunk;"
                    + " other sampling options are taken from the PNG.")
    Path fromPng;

    @Option(names = "--out", defaultValue = "samples", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--npz", paramLabel = "FILE",
            description = "Also write the images as an ADM-evaluator .npz (arr_0: N×H×W×C uint8, arr_1: labels), streamed"
                    + " batch by batch; then no grid.png or samples.safetensors, so N can be 50,000.")
    Path npz;

    @Option(names = "--grid", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write grid.png (default: on).")
    boolean grid;

    @Option(names = "--individual", description = "Also write one PNG per image under DIR/images, with its settings.")
    boolean individual;

    @Option(names = "--trajectory", description = "Also write trajectory.gif and trajectory/frame_*.png (x_t | x̂ per step).")
    boolean trajectory;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "N",
            description = "Most rows per model forward (guided steps run [null; cond] pairs) (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--shard", paramLabel = "K/N",
            description = {"Sample only shard K of N (0-based): whole forward chunks of the job (--batch), split into N"
                    + " contiguous runs, each image with its own noise (seed, i). Writes DIR/shards/K-of-N.safetensors"
                    + " atomically; --merge-shards N with the same options then writes the usual outputs (grid.png,"
                    + " samples.safetensors, --individual, --npz), equal to one machine's byte for byte. For Slurm arrays,"
                    + " Kubernetes indexed jobs or --cluster."})
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

    @Mixin ModelShape shape;       // --preset, --image-size …: the config of a torch checkpoint (checked against its tensors)

    @Mixin CommonOptions common;   // --engine, --threads, --seed (the noise seed), --verbose: shared with every `dip` command

    private ImageSettings replay;  // --from-png: the settings read from the PNG

    @Override
    public Integer call() throws IOException {
        PrintWriter log = spec.commandLine().getOut();
        boolean split = shard != null || mergeShards != null || cluster != null;
        if (fromPng != null && split) throw bad("--from-png remakes one image on this machine: drop --shard/--merge-shards/--cluster");
        if ((shard != null ? 1 : 0) + (mergeShards != null ? 1 : 0) + (cluster != null ? 1 : 0) > 1) {
            throw bad("--shard, --merge-shards and --cluster do not go together: sample the shards, then merge (--cluster does both)");
        }
        if (trajectory && split) throw bad("--trajectory needs the whole job in one forward on one machine: drop it with --shard/--merge-shards/--cluster");
        if (mergeShards != null && mergeShards < 1) throw bad("--merge-shards must be >= 1, got " + mergeShards);
        if (cluster != null && shards < 1) throw bad("--shards must be >= 1, got " + shards);
        int[] kn = shard != null ? parseShard(shard) : null;
        replay = fromPng != null ? readPng(fromPng) : null;
        Guidance guidance = parseGuidance();
        if (steps < 1) throw bad("--steps must be >= 1, got " + steps);
        if (perClass < 1) throw bad("--n-per-class must be >= 1, got " + perClass);
        if (batch < 1) throw bad("--batch must be >= 1, got " + batch);
        if (firstIndex < 0) throw bad("--first-index must be >= 0, got " + firstIndex);
        if (!(timeshift > 0f) || !Float.isFinite(timeshift)) throw bad("--timeshift must be a number > 0 (1 = no shift), got " + timeshift);
        if (common.threads() < 1) throw bad("--threads must be >= 1, got " + common.threads());
        if (npz != null && trajectory) throw bad("--trajectory keeps every image of the run in memory: drop it with --npz");
        if (npz != null && !npz.getFileName().toString().endsWith(".npz")) throw bad("--npz " + npz + " must end in .npz");
        if (checkpoint == null) throw bad("--checkpoint is required: give a .safetensors, .ckpt, .pt/.pth or run folder");
        Path file = checkpoint;
        if (Files.isDirectory(checkpoint)) {                  // a run folder, as --resume takes it
            file = checkpoint.resolve("last.safetensors");
            if (!Files.isRegularFile(file)) {
                throw new BadInput("--checkpoint " + checkpoint + " is a folder without last.safetensors: give a"
                        + " training run folder or a .safetensors file");
            }
        }
        String sha = (replay != null || individual) && Files.isRegularFile(file) ? ImageSettings.sha256(file) : null;
        if (replay != null && !replay.sha256().equals(sha)) {
            throw new BadInput("--from-png " + fromPng + " was made with a checkpoint of SHA-256 " + replay.sha256()
                    + " (" + replay.checkpoint() + ") but " + file + " has " + sha + ": give that checkpoint");
        }
        CheckpointModel ckpt;
        try {
            ckpt = CheckpointModel.open(file, weights, ConvertCommand.shapeChoice(shape));
        } catch (CheckpointModel.BadCheckpoint e) {
            throw new BadInput(e.getMessage());
        }
        DipConfig cfg = ckpt.config();
        int C = cfg.channels(), S = cfg.imageSize(), per = C * S * S;
        if (replay != null && replay.imageSize() != S) {
            throw new BadInput("--from-png " + fromPng + " is " + replay.imageSize() + " px but the model makes " + S
                    + " px images: add --image-size " + replay.imageSize());
        }

        // ---- what to sample: labels, and the starting noise of each image
        int[] labels;
        float[] fileNoise = null;
        if (noiseFile != null) {
            NoiseFile nf = NoiseFile.read(noiseFile, C, S, cfg.numClasses());
            fileNoise = nf.noise();
            if (nf.labels() != null) {
                if (classes != null || spec.commandLine().getParseResult().hasMatchedOption("--n-per-class")) {
                    throw bad("noise " + noiseFile + " carries its labels: drop --class and --n-per-class");
                }
                labels = nf.labels();
            } else {
                labels = labelsFromClasses(ckpt);
                if (labels.length != nf.count()) {
                    throw new BadInput("noise " + noiseFile + " has shape " + Arrays.toString(new int[]{nf.count(), C, S, S})
                            + " but " + labels.length + " images of this model need " + Arrays.toString(new int[]{labels.length, C, S, S}));
                }
            }
        } else if (replay != null) {
            labels = replay.chunkLabels();                     // the image's whole chunk, as it was made
            for (int l : labels) {
                if (l < 0 || l > cfg.numClasses()) throw new BadInput("--from-png " + fromPng + ": class " + l + " is not a class of " + file);
            }
        } else {
            labels = labelsFromClasses(ckpt);
        }
        int B = labels.length;
        checkOutputFolder(out);                                // before the sampling, not after it
        if (npz != null) checkOutputFolder(npz.toAbsolutePath().getParent());

        // images per model forward (GuidedVelocity runs a guided chunk as [null; cond] pairs). A kernel's result for a
        // row can depend on how many rows its forward has (blocking, vector tails), so shards are cut at these chunks
        // and run them with the same model: every image goes through the very forwards it has on one machine.
        int chunk = npz == null && trajectory ? B : Math.min(B, guidance.scale() == 1f ? batch : Math.max(1, batch / 2));
        int chunks = (B + chunk - 1) / chunk, parts = kn != null ? kn[1] : mergeShards != null ? mergeShards : cluster != null ? shards : 1;
        if (parts > chunks) {
            throw bad((kn != null ? "--shard " + shard : mergeShards != null ? "--merge-shards " + mergeShards : "--shards " + shards)
                    + ": this job's " + B + " images run as " + chunks + " forward chunks of " + chunk + " (--batch " + batch
                    + "), so at most " + chunks + " shards; use fewer shards or a smaller --batch");
        }
        if (cluster != null) return launchCluster(log);
        String[] names = imageNames(ckpt, labels);
        String[] rowLabels = rowLabels(ckpt, labels);            // grid rows; B / rows images each
        if (mergeShards != null) return merge(log, ckpt, cfg, file, sha, labels, names, rowLabels, chunk, guidance);
        int[] range = kn != null ? ShardFiles.range(kn[0], kn[1], B, chunk) : new int[]{0, B};
        int first = range[0], end = range[1], m = end - first; // this run's images: all, or the shard's
        boolean keepAll = npz == null || kn != null;           // grid.png, samples.safetensors, a shard need every image
        try (Engine engine = common.createEngine()) {
            int rows = Math.min(batch, guidance.scale() == 1f ? chunk : 2 * chunk);
            Denoiser model = ckpt.build(engine, rows);
            log.printf(Locale.ROOT, "checkpoint %s (%s weights), %d classes, %dx%dx%d images, engine %s%n", file,
                    ckpt.weightsName(), cfg.numClasses(), C, S, S, engine.name());
            log.printf(Locale.ROOT, "sampling %d images: %s, %d steps, timeshift %s, cfg %.3g on (%.3g, %.3g), %s%n",
                    m, solverName(), steps, timeshift, guidance.scale(), guidance.lo(), guidance.hi(),
                    (noiseFile != null ? "noise " + noiseFile + ", images " + first + ".." + (end - 1)
                            : "seed " + common.seed() + ", images " + (firstIndex + first) + ".." + (firstIndex + end - 1))
                            + (kn != null ? " (shard " + shard + " of " + B + " images)" : ""));
            if (engine.counters() != null) {
                log.println("note: the first batch records the sampling step and compiles its kernels for the device"
                        + " (tens of seconds; the batches after it reuse them)");
            }
            Sampler sampler = solver.create(model, steps, guidance, timeshift);
            float[] all = keepAll ? new float[m * per] : null, allNoise = keepAll ? new float[m * per] : null;
            long t0 = System.nanoTime();
            boolean npzHere = npz != null && kn == null;       // a shard's --npz is written by the merge
            if (npzHere && npz.toAbsolutePath().getParent() != null) Files.createDirectories(npz.toAbsolutePath().getParent());
            try (Npz.Writer npzOut = npzHere ? new Npz.Writer(npz, B, S, S, C) : null) {
                long rateFrom = t0;
                int rateDone = 0;
                for (int b0 = first; b0 < end; b0 += chunk) {
                    int n = Math.min(chunk, end - b0);
                    float[] x = fileNoise != null ? Arrays.copyOfRange(fileNoise, b0 * per, (b0 + n) * per)
                            : Sampler.imageNoise(common.seed(), firstIndex + b0, n, per);
                    if (keepAll) System.arraycopy(x, 0, allNoise, (b0 - first) * per, n * per);
                    int[] y = Arrays.copyOfRange(labels, b0, b0 + n);
                    SamplerListener listener = chunk >= m ? new Progress(log, steps, t0) : SamplerListener.NONE;
                    if (trajectory) {
                        try (var rec = new TrajectoryRecorder(out.resolve("trajectory.gif"), out.resolve("trajectory"), C, S, S,
                                rowLabels.length, B / rowLabels.length, rowLabels, ImageWriter.defaultScale(S), 80)) {
                            sampler.integrate(x, y, n, both(listener, rec));
                        }
                    } else {
                        sampler.integrate(x, y, n, listener);   // the ODE's own result; the PNGs clip it to uint8
                    }
                    if (keepAll) System.arraycopy(x, 0, all, (b0 - first) * per, n * per);
                    if (npzOut != null) npzOut.append(x, n);
                    if (individual && kn == null) writeImages(x, b0, n, C, S, names, labels, sha, file, guidance, engine.name());
                    if (chunk < m) {
                        long now = System.nanoTime();
                        int done = b0 + n - first;
                        // the rate counts from the end of the first batch, which also compiled (the JIT, or a device
                        // engine's kernels): the ETA is for the batches to come
                        double perImage = (now - rateFrom) / 1e9 / (done - rateDone);
                        log.printf(Locale.ROOT, "images %d/%d | %.2f s/image | eta %.0f s%n", done, m, perImage,
                                perImage * (m - done));
                        log.flush();
                        if (rateDone == 0) {
                            rateFrom = now;
                            rateDone = done;
                        }
                    }
                }
                if (npzOut != null) npzOut.finish(labels);
            }
            log.printf(Locale.ROOT, "sampled in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            if (kn != null) {                                  // the outputs come from --merge-shards
                Path f = ShardFiles.write(out, range, B, chunk, kn[0], kn[1], all, allNoise, Arrays.copyOfRange(labels, first, end),
                        C, S, describe(guidance), engine.name());
                log.println("wrote shard " + shard + " (images " + first + ".." + (end - 1) + ") to " + f);
                return ExitCodes.OK;
            }
            if (keepAll) {
                SampleOutputs.write(out, all, allNoise, labels, B, cfg, ckpt, rowLabels, B / rowLabels.length, grid,
                        false, describe(guidance));
            }
            log.println("wrote " + out + (keepAll ? (grid ? "/grid.png, " : "/") + "samples.safetensors" : "")
                    + (individual ? ", images/" : "") + (trajectory ? ", trajectory.gif, trajectory/" : "")
                    + (npz != null ? ", " + npz + " (" + B + "×" + S + "×" + S + "×" + C + " uint8, arr_0; labels arr_1)" : ""));
            if (replay != null) {
                if (!replay.engine().equals(engine.name())) {
                    log.println("note: " + fromPng + " was made on engine '" + replay.engine() + "', this run used '"
                            + engine.name() + "': their float rounding differs, so the bytes may too");
                }
                Path made = out.resolve("images").resolve(names[(int) (replay.index() - firstIndex)] + ".png");
                boolean same = Arrays.equals(Files.readAllBytes(made), Files.readAllBytes(fromPng));
                log.println(same ? "reproduced " + fromPng + " byte for byte: " + made
                        : "made " + made + ", which differs from " + fromPng);
            }
        } catch (CheckpointModel.BadCheckpoint e) {
            throw new BadInput(e.getMessage());
        }
        return ExitCodes.OK;
    }

    private String solverName() { return solver.name().toLowerCase(Locale.ROOT); }

    /**
     * --merge-shards: reads the N shards back, chunk by chunk in image order, and writes what one machine would have
     * written (grid.png and samples.safetensors, or the streamed --npz; --individual PNGs stamped with the engine of
     * the shard that made them). Every shard is checked against this job before anything is written.
     */
    private int merge(PrintWriter log, CheckpointModel ckpt, DipConfig cfg, Path file, String sha, int[] labels,
                      String[] names, String[] rowLabels, int chunk, Guidance g) throws IOException {
        int B = labels.length, C = cfg.channels(), S = cfg.imageSize(), per = C * S * S, n = mergeShards;
        try {
            ShardFiles.check(out, n, B, chunk, labels, describe(g));
        } catch (IllegalArgumentException e) {
            throw new BadInput(e.getMessage());
        }
        boolean keepAll = npz == null;
        float[] all = keepAll ? new float[B * per] : null, allNoise = keepAll ? new float[B * per] : null;
        if (npz != null && npz.toAbsolutePath().getParent() != null) Files.createDirectories(npz.toAbsolutePath().getParent());
        try (Npz.Writer npzOut = npz != null ? new Npz.Writer(npz, B, S, S, C) : null) {
            for (int k = 0; k < n; k++) {
                ShardFiles.Shard s = ShardFiles.read(out, k, n, B, chunk);
                if (keepAll) {
                    System.arraycopy(s.samples(), 0, all, s.first() * per, (s.end() - s.first()) * per);
                    System.arraycopy(s.noise(), 0, allNoise, s.first() * per, (s.end() - s.first()) * per);
                }
                for (int b0 = s.first(); b0 < s.end(); b0 += chunk) {
                    int c = Math.min(chunk, s.end() - b0);
                    float[] x = Arrays.copyOfRange(s.samples(), (b0 - s.first()) * per, (b0 - s.first() + c) * per);
                    if (npzOut != null) npzOut.append(x, c);
                    if (individual) writeImages(x, b0, c, C, S, names, labels, sha, file, g, s.engine());
                }
            }
            if (npzOut != null) npzOut.finish(labels);
        }
        if (keepAll) {
            SampleOutputs.write(out, all, allNoise, labels, B, cfg, ckpt, rowLabels, B / rowLabels.length, grid, false, describe(g));
        }
        log.println("merged " + n + " shards into " + out + (keepAll ? (grid ? "/grid.png, " : "/") + "samples.safetensors" : "")
                + (individual ? ", images/" : "") + (npz != null ? ", " + npz : ""));
        return ExitCodes.OK;
    }

    /**
     * --cluster: hands the shards to the ClusterLauncher (the tasks run this command line with `--shard k/N`, then
     * the merge runs it with `--merge-shards N`), with every path made absolute for the workers.
     */
    private int launchCluster(PrintWriter log) throws IOException {
        ClusterLauncher launcher = ClusterLauncher.find();
        List<String> given = spec.commandLine().getParseResult().originalArgs();
        if (!given.isEmpty() && given.get(0).equals("sample")) given = given.subList(1, given.size());
        List<String> args = new java.util.ArrayList<>(List.of("sample"));
        args.addAll(ClusterDriver.withoutOptions(given, "--cluster", "--shards", "--out", "--checkpoint", "--noise", "--npz"));
        args.addAll(List.of("--out", out.toAbsolutePath().toString(), "--checkpoint", checkpoint.toAbsolutePath().toString()));
        if (noiseFile != null) args.addAll(List.of("--noise", noiseFile.toAbsolutePath().toString()));
        if (npz != null) args.addAll(List.of("--npz", npz.toAbsolutePath().toString()));
        var ps = new java.io.PrintStream(new WriterStream(log), true, java.nio.charset.StandardCharsets.UTF_8);
        return launcher.sample(cluster, shards, args, out.toAbsolutePath(), ps);
    }

    /** K and N of --shard K/N, 0 <= K < N. */
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

    /** Labels from --class × --n-per-class, in grid order. */
    private int[] labelsFromClasses(CheckpointModel ckpt) {
        int[] cls;
        try {
            cls = ClassSelection.resolve(classes, ckpt.classNames());
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        int[] labels = new int[cls.length * perClass];
        for (int b = 0; b < labels.length; b++) labels[b] = cls[b / perClass];
        return labels;
    }

    /** Grid row labels: one row per class when the labels come in runs of --n-per-class, else one unlabelled row per 8. */
    private String[] rowLabels(CheckpointModel ckpt, int[] labels) {
        int B = labels.length;
        boolean runs = B % perClass == 0;
        for (int b = 0; runs && b < B; b++) runs = labels[b] == labels[b - b % perClass];
        if (runs && (noiseFile == null || classes != null)) {
            String[] r = new String[B / perClass];
            for (int i = 0; i < r.length; i++) r[i] = className(ckpt, labels[i * perClass]);
            return r;
        }
        int cols = Math.min(8, B);
        String[] r = new String[(B + cols - 1) / cols];
        return B % cols == 0 ? r : new String[]{null};          // uneven: one row of B
    }

    private static String className(CheckpointModel ckpt, int label) {
        return label == ckpt.config().numClasses() ? "null" : ckpt.classNames().get(label);
    }

    /** File names of the individual PNGs: class name and image number, e.g. dog_007. */
    private String[] imageNames(CheckpointModel ckpt, int[] labels) {
        String[] names = new String[labels.length];
        for (int b = 0; b < labels.length; b++) {
            names[b] = String.format(Locale.ROOT, "%s_%03d", SampleOutputs.fileSafe(className(ckpt, labels[b])), firstIndex + b);
        }
        return names;
    }

    /** Images b0 .. b0 + n − 1 (x holds them) as PNGs under out/images, each with its settings as a text chunk. */
    private void writeImages(float[] x, int b0, int n, int C, int S, String[] names, int[] labels, String sha, Path file,
                             Guidance g, String engineName) throws IOException {
        Path dir = out.resolve("images");
        Files.createDirectories(dir);
        int[] chunkLabels = Arrays.copyOfRange(labels, b0, b0 + n);
        for (int b = 0; b < n; b++) {
            if (replay != null && firstIndex + b0 + b != replay.index()) continue;   // --from-png: only the image asked for
            String text = noiseFile != null ? null : new ImageSettings(file.toString(), sha, weights.name().toLowerCase(Locale.ROOT),
                    S, labels[b0 + b], names[b0 + b].substring(0, names[b0 + b].lastIndexOf('_')), common.seed(),
                    firstIndex + b0 + b, solverName(), steps, g.scale(), g.lo(), g.hi(), timeshift, batch, firstIndex + b0,
                    chunkLabels, engineName).toJson();
            byte[] png = ImageWriter.pngBytes(ImageWriter.toImage(x, b, C, S, S, 1), ImageSettings.KEYWORD, text);
            Files.write(dir.resolve(names[b0 + b] + ".png"), png);
        }
    }

    /** The settings in a PNG written by --individual, applied to this command's options. */
    private ImageSettings readPng(Path png) {
        ImageSettings s;
        try {
            if (!Files.isRegularFile(png)) throw new BadInput("--from-png " + png + ": file not found");
            String text = PngText.read(png, ImageSettings.KEYWORD);
            if (text == null) {
                throw new BadInput("--from-png " + png + " has no '" + ImageSettings.KEYWORD + "' text chunk: only PNGs that"
                        + " dip sample --individual wrote (from a seed, not a --noise file) can be replayed");
            }
            s = ImageSettings.fromJson(text);
            solver = Solver.valueOf(s.solver().toUpperCase(Locale.ROOT));
            weights = Weights.valueOf(s.weights().toUpperCase(Locale.ROOT));
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInput("--from-png " + png + ": " + e.getMessage());
        }
        if (checkpoint == null) checkpoint = Path.of(s.checkpoint());
        if (!Files.exists(checkpoint)) {
            throw new BadInput("--from-png " + png + " was made with " + s.checkpoint() + ", which is not there: give it with --checkpoint");
        }
        firstIndex = s.chunkFirst();
        batch = s.batch();
        common.seed = s.seed();
        steps = s.steps();
        timeshift = s.timeshift();
        cfgScale = s.cfgScale();
        cfgInterval = s.lo() + "," + s.hi();
        if (shape.imageSize == null) shape.imageSize = s.imageSize();
        individual = true;
        grid = false;
        noiseFile = null;
        npz = null;
        trajectory = false;
        return s;
    }

    private String describe(Guidance g) {
        return String.format(Locale.ROOT, "{\"solver\":\"%s\",\"steps\":%d,\"timeshift\":%s,\"cfg_scale\":%s,"
                        + "\"cfg_interval\":[%s,%s],\"seed\":%s,\"first_index\":%d,\"weights\":\"%s\"}",
                solverName(), steps, timeshift, g.scale(), g.lo(), g.hi(),
                noiseFile != null ? "null" : Long.toString(common.seed()), firstIndex, weights.name().toLowerCase(Locale.ROOT));
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

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static SamplerListener both(SamplerListener a, SamplerListener b) {
        return new SamplerListener() {
            @Override
            public void onStep(int k, int n, float t, float[] xt, float[] xhat, int B) {
                a.onStep(k, n, t, xt, xhat, B);
                b.onStep(k, n, t, xt, xhat, B);
            }

            @Override
            public boolean needsImages() {
                return a.needsImages() || b.needsImages();
            }
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

        @Override
        public boolean needsImages() {
            return false;
        }
    }
}
