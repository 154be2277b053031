package dip.cli;

import dip.trainer.DataSources;
import dip.trainer.LossPlot;
import dip.trainer.StopSignal;
import dip.trainer.ConsoleProgress;
import dip.trainer.SampleGrid;
import dip.trainer.MetricsLog;
import dip.trainer.TrainCheckpoint;
import dip.trainer.TrainState;
import dip.trainer.TrainLoop;
import dip.trainer.ProgressListener;
import dip.trainer.NonFiniteLossException;
import dip.trainer.TrainConfig;
import dip.trainer.DataKind;
import dip.data.Dataset;
import dip.io.SafetensorsException;
import dip.model.Denoiser;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.Preset;
import dip.tornado.exec.Engine;
import dip.util.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * `dip train` (scripts/trainer): trains a DiP model with flow matching (docs/model-spec.md §4) and writes into --out:
 * last.safetensors (the whole training state; --resume continues it exactly), metrics.jsonl, loss.png and one
 * samples_epoch{N}.png per epoch (EMA weights, Euler sampler, fixed seed). Ctrl-C stops at the next step and saves.
 * Exit codes: 0 done or stopped cleanly, 1 failed while training (e.g. NaN loss), 2 bad options, data or checkpoint.
 * The model and data come through two small factories, so tests run this command on a toy model.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a DiP model (flow matching, AdamW, EMA) on Fashion-MNIST, CIFAR-10 or a folder of images.",
                "The model is --preset (default: MICRO) with any of the shape options below overriding its values."})
public final class TrainCommand implements Callable<Integer> {

    /** Builds the model a run trains, with initial weights drawn from {@code init}. */
    @FunctionalInterface
    public interface ModelFactory {
        Denoiser create(DipConfig cfg, Engine engine, int maxBatch, Rng init);
    }

    /** Opens a data set at an image size; throws IOException with a one-line message when it cannot. */
    @FunctionalInterface
    public interface DataOpener {
        Dataset open(DataKind kind, Path dir, int imageSize, int channels) throws IOException;
    }

    // --- options -------------------------------------------------------------------------------------------------
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;                           // --engine, --threads, --seed, --verbose
    @Mixin ModelShape shape;                               // --preset (default MICRO), --image-size, --patch-size, --hidden, ...

    @Option(names = "--epochs", required = true, paramLabel = "N",
            description = "Passes over the data in total (a resumed run counts the epochs already done).")
    int epochs;
    @Option(names = "--data", defaultValue = "fashion-mnist", converter = DataKindConverter.class, paramLabel = "SET",
            description = "fashion-mnist, cifar10 or folder (default: ${DEFAULT-VALUE}).")
    DataKind data;
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the data is (default: /usr/share/datasets/fashion-mnist or data/cifar-10-batches-bin).")
    Path dataDir;
    @Option(names = "--channels", paramLabel = "C",
            description = "1 (gray) or 3 (RGB) for cifar10 and folder (default: 1 for fashion-mnist, 3 otherwise).")
    Integer channels;
    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "B", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--lr", defaultValue = "1e-4", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--betas", defaultValue = "0.9,0.999", paramLabel = "B1,B2", converter = Pair.Converter.class,
            description = "AdamW betas: one pair of numbers in [0, 1) (default: ${DEFAULT-VALUE}).")
    Pair betas;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW decoupled weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;
    @Option(names = "--ema-decay", defaultValue = "0.9999", description = "EMA decay per step (default: ${DEFAULT-VALUE}).")
    double emaDecay;
    @Option(names = "--class-dropout", defaultValue = "0.1", paramLabel = "P", description = "Probability of the null label, for guidance (default: ${DEFAULT-VALUE}).")
    double classDropout;
    @Option(names = "--warmup-steps", defaultValue = "0", description = "Linear lr warmup (default: ${DEFAULT-VALUE}, none).")
    int warmupSteps;
    @Option(names = "--clip-grad", defaultValue = "0", paramLabel = "NORM", description = "Clip the global gradient norm (default: ${DEFAULT-VALUE}, off).")
    double clipGrad;
    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: runs/train, or the --resume folder).")
    Path out;
    @Option(names = "--checkpoint-every", defaultValue = "0", paramLabel = "STEPS",
            description = "Also save last.safetensors (and loss.png) every STEPS steps (default: ${DEFAULT-VALUE}: at epoch ends"
                    + " only; --resume keeps the run's value unless given again).")
    int checkpointEvery;
    @Option(names = "--keep-every", defaultValue = "0", paramLabel = "STEPS",
            description = "Keep a copy step_{N}.safetensors of the checkpoints at multiples of STEPS (default: ${DEFAULT-VALUE}, none;"
                    + " --resume keeps the run's value unless given again).")
    int keepEvery;
    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run saved in DIR (its last.safetensors) exactly.")
    Path resume;
    @Option(names = "--max-steps", paramLabel = "N", description = "Stop after N steps in total (default: no limit).")
    long maxSteps = Long.MAX_VALUE;
    @Option(names = "--sample-every-epoch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write samples_epoch{N}.png after each epoch (default: ${DEFAULT-VALUE}).")
    boolean sampleEveryEpoch;
    @Option(names = "--samples-per-class", defaultValue = "8", description = "Grid columns (default: ${DEFAULT-VALUE}).")
    int samplesPerClass;
    @Option(names = "--sample-steps", defaultValue = "50", description = "Euler steps for the grid (default: ${DEFAULT-VALUE}).")
    int sampleSteps;
    @Option(names = "--sample-cfg", defaultValue = "2.9", description = "Guidance scale for the grid (default: ${DEFAULT-VALUE}).")
    float sampleCfg;
    @Option(names = "--sample-interval", defaultValue = "0.11,0.97", paramLabel = "LO,HI", converter = Pair.Converter.class,
            description = "Guided t interval, strict (default: ${DEFAULT-VALUE}).")
    Pair sampleInterval;
    @Option(names = "--sample-seed", defaultValue = "0", description = "Noise seed of the grid (default: ${DEFAULT-VALUE}).")
    long sampleSeed;
    @Option(names = "--log-every", defaultValue = "50", paramLabel = "STEPS",
            description = "Without a terminal, print a progress line every STEPS steps (default: ${DEFAULT-VALUE}).")
    int logEvery;
    @Option(names = "--cluster", paramLabel = "MASTER",
            description = {"Train data-parallel on Apache Spark: local[W], local-cluster[W,1,MB] or spark://HOST:PORT (needs"
                    + " the dip-cluster jar: scripts/dip-cluster; docs/scale-out.md). --out and --data-dir must be on a"
                    + " file system every worker sees."})
    String cluster;
    @Option(names = "--workers", paramLabel = "W", description = "Ranks for --cluster (default: the W of local[W]).")
    Integer workers;
    @Option(names = "--groups", paramLabel = "G",
            description = "With --cluster: the gradient is summed over G groups of the batch in one fixed order, so runs"
                    + " with the same G give the same bits for any W dividing G with G/W a power of two (default: W,"
                    + " or the resumed run's).")
    Integer groups;
    @Option(names = "--max-restarts", defaultValue = "3", paramLabel = "N",
            description = "With --cluster: restart from the last checkpoint at most N times after a failure (default: ${DEFAULT-VALUE}).")
    int maxRestarts;
    @Option(names = "--collective-timeout", defaultValue = "600", paramLabel = "SECONDS",
            description = "With --cluster: a rank waiting longer than this in one all-reduce gives up, and the job"
                    + " restarts from the last checkpoint (default: ${DEFAULT-VALUE}).")
    int collectiveTimeout;
    @Option(names = "--collective", defaultValue = "xgboost", paramLabel = "KIND",
            description = "With --cluster: the all-reduce, xgboost (CPU ranks, over TCP) or nccl (one GPU per rank; needs"
                    + " a dip-cluster jar built with -Pnccl, docs/scale-out.md) (default: ${DEFAULT-VALUE}).")
    String collective;
    @Option(names = "--verify-every", defaultValue = "100", paramLabel = "STEPS",
            description = "With --cluster: the ranks compare a hash of their weights every STEPS steps and at every"
                    + " checkpoint, and stop on a difference (default: ${DEFAULT-VALUE}; 0 = at checkpoints only).")
    int verifyEvery;

    /** Checkpoint metadata keys: where the run's data came from (a resume without --data reads the same). */
    static final String DATA_KIND = "data_kind", DATA_DIR = "data_dir";
    /** Checkpoint metadata keys: how often the run saves (a resume without the options keeps them). */
    static final String CHECKPOINT_EVERY = "checkpoint_every", KEEP_EVERY = "keep_every";
    /** Checkpoint metadata key: the gradient groups of a cluster run (its summation order; not the worker count). */
    static final String GRAD_GROUPS = "grad_groups";
    /** Options only the driver of a --cluster run reads; the ranks never see them. */
    static final String[] DRIVER_ONLY = {"--cluster", "--workers", "--max-restarts", "--collective-timeout", "--out",
        "--resume", "--collective"};

    /** Options that a checkpoint fixes: a resumed run keeps the values it started with. */
    static final String[] FIXED_ON_RESUME = {"--preset", "--image-size", "--patch-size", "--hidden", "--depth", "--heads",
        "--head-width", "--head", "--batch-size", "--lr", "--betas",
        "--weight-decay", "--ema-decay", "--class-dropout", "--warmup-steps", "--clip-grad", "--seed"};

    /** Writes a training checkpoint (TrainCheckpoint.save; tests put a failing one in). */
    @FunctionalInterface
    interface CheckpointWriter {
        void save(Path file, TrainState state, String dataDescription, Map<String, String> extra) throws IOException;
    }

    private final ModelFactory models;
    private final DataOpener opener;
    final dip.trainer.Collective rank;                    // set when this command is one rank of a --cluster run
    CheckpointWriter writer = TrainCheckpoint::save;
    private volatile TrainLoop loop;
    private volatile boolean stopEarly;

    /** The command as the CLI registers it: the DiP model and the dip.data readers. */
    public TrainCommand() {
        this(TrainCommand::dipModel, DataSources::open);
    }

    public TrainCommand(ModelFactory models, DataOpener opener) {
        this(models, opener, null);
    }

    /** One rank of a --cluster run (what a cluster task runs): trains through {@code rank}; only rank 0 writes files. */
    public TrainCommand(dip.trainer.Collective rank) {
        this(TrainCommand::dipModel, DataSources::open, rank);
    }

    TrainCommand(ModelFactory models, DataOpener opener, dip.trainer.Collective rank) {
        this.models = models;
        this.opener = opener;
        this.rank = rank;
    }

    /** The real model with the official initialisation. */
    static Denoiser dipModel(DipConfig cfg, Engine engine, int maxBatch, Rng init) {
        return new Dip(engine, cfg, maxBatch).initialize(init);
    }

    /** What the SIGINT handler calls: stop at the next step boundary, then save. Any thread. */
    void requestStop() {
        stopEarly = true;
        TrainLoop l = loop;
        if (l != null) l.requestStop();
    }

    @Override
    public Integer call() throws IOException {
        return run(new PrintStream(new WriterStream(spec.commandLine().getOut()), true, StandardCharsets.UTF_8));
    }

    int run(PrintStream outp) throws IOException {
        checkOptions();
        if (cluster != null) return ClusterDriver.train(this, outp);
        // --- what to train: a checkpoint's configs on --resume, else the options -----------------------------------
        TrainCheckpoint.Header header = null;
        Path ckptFile = null;
        if (resume != null) {
            ckptFile = Files.isDirectory(resume) ? resume.resolve("last.safetensors") : resume;
            try {
                header = TrainCheckpoint.readHeader(ckptFile);
            } catch (SafetensorsException e) {
                throw new BadInput("cannot resume: " + e.getMessage());
            }
        }
        Path outDir = out != null ? out
                : resume != null ? (Files.isDirectory(resume) ? resume : ckptFile.toAbsolutePath().getParent())
                : Path.of("runs", "train");
        DipConfig base = shape.base(Preset.MICRO.config());
        int size = header != null ? header.model().imageSize() : shape.imageSize(base);
        boolean dataGiven = spec.commandLine().getParseResult().hasMatchedOption("--data");
        if (header != null && !dataGiven && header.metadata().containsKey(DATA_KIND)) {
            data = DataKind.parse(header.metadata().get(DATA_KIND));          // resume reads what the run read
            if (dataDir == null && header.metadata().containsKey(DATA_DIR)) dataDir = Path.of(header.metadata().get(DATA_DIR));
        }
        Path dir = dataDir != null ? dataDir : data.defaultDir();
        if (dir == null) throw bad("--data folder needs --data-dir: " + data.howToGet());
        if (!Files.isDirectory(dir) || !Files.isReadable(dir)) {
            throw new BadInput("no " + data.word() + " data at " + dir.toAbsolutePath() + ": " + data.howToGet()
                    + (dataDir == null ? ", or point --data-dir at it" : ""));
        }
        Dataset d;
        try {
            int c = header != null ? header.model().channels() : channels != null ? channels : data.defaultChannels();
            d = opener.open(data, dir, size, c);
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInput("cannot read " + data.word() + " data at " + dir + ": " + e.getMessage());
        }
        String desc = data.word() + " train (" + d.size() + " images) at " + dir;
        DipConfig cfg;
        TrainConfig tc;
        if (header != null) {
            cfg = header.model();
            tc = header.train();
            var pr = spec.commandLine().getParseResult();
            if (!pr.hasMatchedOption("--checkpoint-every") && header.metadata().containsKey(CHECKPOINT_EVERY)) {
                checkpointEvery = Integer.parseInt(header.metadata().get(CHECKPOINT_EVERY));
            }
            if (!pr.hasMatchedOption("--keep-every") && header.metadata().containsKey(KEEP_EVERY)) {
                keepEvery = Integer.parseInt(header.metadata().get(KEEP_EVERY));
            }
            for (String opt : FIXED_ON_RESUME) {
                if (spec.commandLine().getParseResult().hasMatchedOption(opt)) {
                    outp.println("note: " + opt + " is ignored on --resume: the run continues with its checkpoint's "
                            + "model and training config (" + tc + ")");
                }
            }
            if (d.numClasses() != cfg.numClasses() || d.channels() != cfg.channels() || d.size() != header.dataSize()) {
                throw new BadInput("cannot resume " + ckptFile + ": it was trained on " + header.dataSize() + " images of "
                        + cfg.channels() + " channel(s) with " + cfg.numClasses() + " classes (" + header.data()
                        + "), but " + desc + " has " + d.size() + " images of " + d.channels() + " channel(s) with "
                        + d.numClasses() + " classes; resume needs the same data");
            }
        } else {
            try {
                cfg = shape.apply(base, d.channels(), d.numClasses());
                tc = new TrainConfig(batchSize, lr, betas.a(), betas.b(), weightDecay, emaDecay, classDropout, warmupSteps,
                        clipGrad, common.seed());
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
            if (Files.exists(outDir.resolve("last.safetensors"))) {
                throw new BadInput(outDir + " already holds a run (last.safetensors): continue it with --resume " + outDir
                        + ", or pick another --out");
            }
        }
        if (d.size() < tc.batchSize()) {                    // before anything is created
            throw new BadInput(desc + " has fewer usable images than one batch of " + tc.batchSize()
                    + (header != null ? "" : ": add images, or train with --batch-size " + d.size() + " or less"));
        }
        // --- build ---------------------------------------------------------------------------------------------
        Files.createDirectories(outDir);
        if (rank == null || rank.rank() == 0) removeStaleTemps(outDir, outp);
        try (Engine engine = common.createEngine()) {
            Denoiser model = models.create(cfg, engine, Math.max(tc.batchSize(), 2), TrainState.initRng(tc.seed()));
            TrainState state = new TrainState(model, tc, d.size());
            if (header != null) {
                try {
                    TrainCheckpoint.restore(ckptFile, state);
                } catch (SafetensorsException e) {
                    throw new BadInput("cannot resume: " + e.getMessage());
                }
            }
            outp.printf(Locale.ROOT, "%s %s | %,d params | %s | batch %d | lr %.3g | engine %s%n",
                    header != null ? "resuming at step " + state.step() + ":" : "training " + shape.presetOr(Preset.MICRO).name() + ":", cfg,
                    model.params().count(), desc, tc.batchSize(), tc.lr(), engine.name());
            if (engine.counters() != null) {
                outp.println("note: the first step records the training step and compiles its kernels for the device"
                        + " (a minute or more; the steps after it reuse them)");
            }
            long total = Math.min((long) epochs * state.stepsPerEpoch(), maxSteps);
            if (tc.emaDecay() < 1 && total < Math.round(1 / (1 - tc.emaDecay()))) {
                outp.printf(Locale.ROOT, "note: EMA decay %s averages over about %.0f steps but this run has %d, so the "
                        + "EMA (used for the sample grids) stays close to the initial weights; try --ema-decay 0.999%n",
                        tc.emaDecay(), 1 / (1 - tc.emaDecay()), total);
            }
            if (rank != null) {
                int g = groups != null ? groups : header != null && header.metadata().containsKey(GRAD_GROUPS)
                        ? Integer.parseInt(header.metadata().get(GRAD_GROUPS)) : rank.size();
                try {
                    return trainRank(outp, outDir, state, d, dir, desc, header != null, g);
                } catch (IllegalArgumentException e) {
                    throw new BadInput(e.getMessage());
                }
            }
            return train(outp, outDir, state, d, dir, desc, header != null);
        }
    }

    private int train(PrintStream outp, Path outDir, TrainState state, Dataset d, Path dir, String desc, boolean resumed)
            throws IOException {
        return train(outp, outDir, state, d, dir, desc, resumed, 0);
    }

    /**
     * One rank of a cluster run: rank 0 is the usual run (checkpoints, metrics, plots), the other ranks train the same
     * replica silently and write nothing.
     */
    private int trainRank(PrintStream outp, Path outDir, TrainState state, Dataset d, Path dir, String desc,
                          boolean resumed, int g) throws IOException {
        if (rank.rank() == 0) return train(outp, outDir, state, d, dir, desc, resumed, g);
        new TrainLoop(state, d, new ProgressListener() { }, st -> null, checkpointEvery, rank, g, verifyEvery)
                .run(epochs, maxSteps);
        return ExitCodes.OK;
    }

    /** groups: 0 for a one-process run, else the cluster run's gradient groups (this process is its rank 0). */
    private int train(PrintStream outp, Path outDir, TrainState state, Dataset d, Path dir, String desc, boolean resumed,
                      int groups) throws IOException {
        Path last = outDir.resolve("last.safetensors");
        // class_names lets `dip sample` take --class by name and label its grid rows (dip.sampler.CheckpointModel)
        String classNames = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(d.classNames());
        long[] lastGood = {resumed ? state.step() : -1};     // the step of the checkpoint last.safetensors holds
        TrainLoop.Checkpointer ckpt = st -> {
            try {
                Map<String, String> meta = new java.util.LinkedHashMap<>(Map.of(DATA_KIND, data.word(),
                        DATA_DIR, dir.toAbsolutePath().toString(), "class_names", classNames,
                        CHECKPOINT_EVERY, Integer.toString(checkpointEvery), KEEP_EVERY, Integer.toString(keepEvery)));
                if (groups > 0) meta.put(GRAD_GROUPS, Integer.toString(groups));
                writer.save(last, st, desc, meta);
            } catch (IOException e) {
                throw new CheckpointFailed(last, st.step(), e);
            }
            lastGood[0] = st.step();
            if (keepEvery > 0 && st.step() % keepEvery == 0) {
                Path keep = outDir.resolve(String.format(Locale.ROOT, "step_%08d.safetensors", st.step()));
                Path tmp = outDir.resolve(keep.getFileName() + ".tmp");
                try {
                    Files.copy(last, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, keep, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    Files.deleteIfExists(tmp);
                    throw new CheckpointFailed(keep, st.step(), e);
                }
            }
            return last;
        };
        Path metrics = outDir.resolve("metrics.jsonl");
        var grid = new SampleGrid.Options(samplesPerClass, sampleSteps, sampleCfg, (float) sampleInterval.a(), (float) sampleInterval.b(), sampleSeed);
        ProgressListener artifacts = new ProgressListener() {
            private SampleGrid previews;      // made at the first epoch's end: its own inference model, kept for the run

            @Override public void onCheckpoint(long step, Path file) {      // a run stopped early has its plot too
                try {
                    LossPlot.write(outDir.resolve("loss.png"), MetricsLog.readLosses(metrics), "DiP training loss");
                } catch (IOException | RuntimeException e) {   // the checkpoint is saved: a plot is not worth the run
                    outp.println("warning: cannot write " + outDir.resolve("loss.png") + " at step " + step + ": " + e.getMessage());
                }
            }

            @Override public void onEpochEnd(int epoch, TrainState st) {
                try {
                    if (sampleEveryEpoch) {
                        if (previews == null) {
                            var m = st.model;
                            previews = new SampleGrid(m.forSampling(m.maxBatch()), grid);
                        }
                        previews.write(outDir.resolve("samples_epoch" + epoch + ".png"), st, d.classNames(),
                                "epoch " + epoch + ", step " + st.step() + " (EMA)");
                    }
                } catch (IOException | RuntimeException e) {   // the checkpoint is saved: a plot is not worth the run
                    outp.println("warning: cannot write the epoch " + epoch + " plots: " + e.getMessage());
                }
            }
        };
        boolean live = interactive();
        try (MetricsLog log = new MetricsLog(metrics, resumed ? state.step() : 0);
             ConsoleProgress progress = new ConsoleProgress(outp, live, logEvery)) {
            var listeners = ProgressListener.all(progress, log, artifacts);
            TrainLoop l = groups == 0 ? new TrainLoop(state, d, listeners, ckpt, checkpointEvery)
                    : new TrainLoop(state, d, listeners, ckpt, checkpointEvery, rank, groups, verifyEvery);
            loop = l;
            if (stopEarly) l.requestStop();
            TrainLoop.Outcome result;
            try (StopSignal sig = new StopSignal(this::requestStop, System.err)) {
                result = l.run(epochs, maxSteps);
            } catch (NonFiniteLossException e) {
                progress.close();
                String kept = Files.exists(last)
                        ? "the last good checkpoint " + last + " (step " + TrainCheckpoint.readHeader(last).step()
                                + ") was kept (resume with --resume " + outDir + ")"
                        : "no checkpoint was written";
                outp.println("error: " + e.getMessage() + "; " + kept + ". Try a lower --lr or --clip-grad.");
                return ExitCodes.ERROR;
            } catch (CheckpointFailed e) {
                progress.close();
                outp.println("error: cannot write " + e.file + " at step " + e.step + ": " + e.getCause().getMessage() + "; "
                        + survivor(last, lastGood[0], outDir));
                return ExitCodes.ERROR;
            } catch (IOException | java.io.UncheckedIOException e) {
                progress.close();
                outp.println("error: " + e.getMessage() + " at step " + state.step() + "; " + survivor(last, lastGood[0], outDir));
                return ExitCodes.ERROR;
            }
            if (result == TrainLoop.Outcome.STOPPED) {
                outp.printf(Locale.ROOT, "stopped at step %d; saved %s. Continue with: scripts/trainer --resume %s --epochs %d%s%n",
                        state.step(), last, outDir, epochs, maxSteps != Long.MAX_VALUE ? " --max-steps " + maxSteps : "");
            } else {
                outp.printf(Locale.ROOT, "done: %d steps, %d full epoch(s); checkpoint %s, metrics %s%n",
                        state.step(), state.epoch(), last, metrics);
            }
            return ExitCodes.OK;
        } finally {
            loop = null;
        }
    }

    /** A checkpoint file could not be written at a step (the cause says why, e.g. "No space left on device"). */
    static final class CheckpointFailed extends IOException {
        final Path file;
        final long step;

        CheckpointFailed(Path file, long step, IOException cause) {
            super("cannot write " + file + " at step " + step + ": " + cause.getMessage(), cause);
            this.file = file;
            this.step = step;
        }
    }

    /** What survived a failed write: the last good checkpoint and how to continue from it. */
    private static String survivor(Path last, long step, Path outDir) {
        return step >= 0 && Files.isRegularFile(last)
                ? "the last good checkpoint " + last + " (step " + step + ") is intact; free some space and resume with --resume " + outDir
                : "no checkpoint was written yet";
    }

    /**
     * Deletes the .tmp files a killed checkpoint write leaves (AtomicFile writes last.safetensors.tmp, --keep-every
     * step_N.safetensors.tmp, then renames): the finished files are never touched.
     */
    static void removeStaleTemps(Path outDir, PrintStream outp) throws IOException {
        try (var files = Files.list(outDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        && (n.equals("last.safetensors.tmp") || n.matches("step_\\d+\\.safetensors\\.tmp"))) {
                    Files.delete(f);
                    outp.println("note: removed " + f + ", left by an interrupted checkpoint write");
                }
            }
        }
    }



    private void checkOptions() {
        if (epochs < 1) throw bad("--epochs must be >= 1, got " + epochs);
        if (maxSteps < 1) throw bad("--max-steps must be >= 1, got " + maxSteps);
        if (checkpointEvery < 0 || keepEvery < 0) throw bad("--checkpoint-every and --keep-every must be >= 0");
        if (samplesPerClass < 1 || sampleSteps < 1) throw bad("--samples-per-class and --sample-steps must be >= 1");
        if (logEvery < 1) throw bad("--log-every must be >= 1, got " + logEvery);
        if (verifyEvery < 0) throw bad("--verify-every must be >= 0, got " + verifyEvery);
        if (cluster == null && rank == null && (workers != null || groups != null)) {
            throw bad("--workers and --groups are for --cluster runs; add --cluster local[W] or spark://HOST:PORT");
        }
    }

    ParameterException bad(String msg) {
        return new ParameterException(spec.commandLine(), msg);
    }

    /** True when stdout is a terminal (JDK 22+: Console.isTerminal; before: a console exists). */
    static boolean interactive() {
        java.io.Console c = System.console();
        if (c == null) return false;
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** Two numbers written A,B (--betas, --sample-interval): one pair, not a repeatable list. */
    record Pair(double a, double b) {
        static final class Converter implements picocli.CommandLine.ITypeConverter<Pair> {
            @Override public Pair convert(String s) {
                String[] p = s.split(",", -1);
                try {
                    if (p.length == 2) return new Pair(Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim()));
                } catch (NumberFormatException e) {
                    // below
                }
                throw new picocli.CommandLine.TypeConversionException("expected two numbers A,B, got '" + s + "'");
            }
        }

        @Override public String toString() { return a + "," + b; }
    }

    /** picocli converter for --data. */
    static final class DataKindConverter implements picocli.CommandLine.ITypeConverter<DataKind> {
        @Override public DataKind convert(String s) { return DataKind.parse(s); }
    }
}
