package dip.trainer;

import dip.data.Dataset;
import dip.data.Loader;
import dip.flow.FlowPath;
import dip.layers.MseLoss;
import dip.model.Denoiser;
import dip.tornado.exec.Engine;
import dip.tornado.exec.Pass;
import dip.tornado.kernels.OptimizerKernels;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The flow-matching training loop (docs/model-spec.md §4). One step: take the next B images x and labels y; replace each label
 * by the null class (numClasses) with probability p; draw t = σ(n), n ~ N(0, 1) per image and ε ~ N(0, I);
 * x_t = t·x + (1 − t)·ε and target v = x − ε; loss = mean((f(x_t, t, y) − v)²) over all B·C·H·W values;
 * backward; optional global-norm clip; AdamW at the scheduled lr; EMA update. The host draws the randomness and
 * prepares the batch; everything from x_t to the EMA is one {@link Pass} of kernel calls on the model's engine, so a
 * device engine runs the whole step with weights, moments and EMA resident, taking the batch in and giving back
 * {loss, gradient norm} (a step whose loss or norm is not finite is computed but never applied: the kernels' gate
 * holds the weights back, and the host then throws). All randomness comes from the state's
 * Rng, drawn in a fixed order (per image: dropout uniform, then n; then ε for the whole batch), and the batches from
 * a dip.data.Loader (background thread, shuffle fixed by the data seed, restartable at any (epoch, batch)), so a
 * seed fixes the run and a restored state continues it bit for bit.
 *
 * With a {@link Collective} (data-parallel training, one loop per rank) the step is {@link ReplicaStep}'s instead:
 * the same math cut at the gradient, summed over the ranks in a fixed order, with per-sample noise keyed by
 * (seed, step, sample), so any worker count gives the same bits (and not those of the single pass above, whose noise
 * comes from one sequential Rng). Rank 0 alone writes checkpoints, between two barriers, after the ranks have
 * compared a hash of their weights.
 *
 * The loop checkpoints every {@code checkpointEvery} steps (0 = never mid-epoch), at each epoch end, and when it
 * returns (finished or stopped). It never checkpoints after a non-finite loss: it throws before touching the weights.
 */
public final class TrainLoop {
    public enum Outcome { FINISHED, STOPPED }

    /** Writes a checkpoint of the state and says where. */
    @FunctionalInterface
    public interface Checkpointer {
        Path save(TrainState state) throws IOException;
    }

    /** Batches the loader prepares ahead of the step that needs them. */
    static final int PREFETCH = 2;

    private final TrainState s;
    private final Dataset data;
    private final ProgressListener listener;
    private final Checkpointer checkpointer;
    private final int checkpointEvery;
    private final int B, per, nullClass;
    private final int[] y;                   // (B) labels after dropout
    private final float[] x0, eps, t, xt, v; // x0, eps, xt, v: (B, C, H, W); t: (B)
    private final MseLoss mse;               // the loss and dL/d(prediction) (B, C, H, W)
    private final GradSquares gradSquares;   // Σ g², for the clip factor
    private final float[] lossNorm = new float[2];                                  // {loss, gradient norm}
    private final float[] hp = new float[OptimizerKernels.HP_SIZE];                 // this step's AdamW numbers
    private final float[] gate = new float[OptimizerKernels.GATE_SIZE];             // clip factor, apply flag
    private final Pass pass;
    private final Collective comm;           // null: one process, the single pass above
    private final ReplicaStep replica;       // the data-parallel step when comm is set
    private final int verifyEvery;           // steps between replica hash checks (and at every checkpoint)
    private volatile boolean stopRequested;
    private long lastSaved = -1;

    public TrainLoop(TrainState state, Dataset data, ProgressListener listener, Checkpointer checkpointer,
                     int checkpointEvery) {
        this(state, data, listener, checkpointer, checkpointEvery, null, 1, 0);
    }

    /**
     * A loop for one rank of data-parallel training: {@code comm} joins the ranks, {@code groups} fixes the order of
     * the gradient sum (see ReplicaStep; runs with the same groups give the same bits for any worker count), and the
     * ranks compare weight hashes every {@code verifyEvery} steps (0 = only at checkpoints). Only rank 0 calls the
     * checkpointer.
     */
    public TrainLoop(TrainState state, Dataset data, ProgressListener listener, Checkpointer checkpointer,
                     int checkpointEvery, Collective comm, int groups, int verifyEvery) {
        var cfg = state.model.config();
        if (data.channels() != cfg.channels() || data.imageSize() != cfg.imageSize()) {
            throw new IllegalArgumentException("the data is " + data.channels() + "×" + data.imageSize() + "×"
                    + data.imageSize() + " but the model expects " + cfg.channels() + "×" + cfg.imageSize() + "×"
                    + cfg.imageSize());
        }
        if (data.numClasses() != cfg.numClasses()) {
            throw new IllegalArgumentException("the data has " + data.numClasses() + " classes but the model has "
                    + cfg.numClasses());
        }
        if (data.size() != state.dataSize) {
            throw new IllegalArgumentException("the data has " + data.size() + " images but the run was started on "
                    + state.dataSize + "; resume needs the same data");
        }
        if (checkpointEvery < 0) throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + checkpointEvery);
        this.s = state;
        this.data = data;
        this.listener = listener;
        this.checkpointer = checkpointer;
        this.checkpointEvery = checkpointEvery;
        if (verifyEvery < 0) throw new IllegalArgumentException("verify interval must be >= 0, got " + verifyEvery);
        this.comm = comm;
        this.replica = comm == null ? null : new ReplicaStep(state, comm, groups);
        this.verifyEvery = verifyEvery;
        this.B = state.config.batchSize();
        this.per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        this.nullClass = cfg.numClasses();
        y = new int[B];
        t = new float[B];
        x0 = new float[B * per];
        eps = new float[B * per];
        xt = new float[B * per];
        v = new float[B * per];
        mse = new MseLoss(state.model.engine(), B, per);
        gradSquares = new GradSquares(state.model.params());
        pass = new Pass("train.step.B" + B, new Object[] {x0, eps, t, y, hp}, new Object[] {lossNorm}, this::stepKernels);
        state.model.params().zeroGrad(state.model.engine());            // once; then adamwEma
    }

    /** Asks the loop to stop at the next step boundary (then it checkpoints and returns STOPPED). Any thread. */
    public void requestStop() { stopRequested = true; }

    public int stepsPerEpoch() { return s.stepsPerEpoch(); }

    /**
     * Trains until {@code epochs} epochs are done in total (counting those before a resume) or the global step
     * reaches {@code maxSteps}, or a stop is requested.
     */
    public Outcome run(int epochs, long maxSteps) throws IOException {
        long total = Math.min((long) epochs * stepsPerEpoch(), maxSteps);
        listener.onStart(s.step(), total, s.epoch(), epochs);
        long t0 = System.nanoTime();
        Outcome outcome;
        try (Loader loader = new Loader(data, B, s.dataSeed(), PREFETCH, s.position())) {
            while (true) {
                if (s.epoch() >= epochs || s.step() >= maxSteps) { outcome = Outcome.FINISHED; break; }
                if (stopRequested) { outcome = Outcome.STOPPED; break; }
                long ts = System.nanoTime();
                Loader.Batch batch = loader.next();
                double[] lossNorm = step(batch.x, batch.y);
                s.setPosition(loader.state());
                long te = System.nanoTime();
                listener.onStep(new ProgressListener.StepStats(s.step(), total, (int) batch.epoch() + 1, epochs,
                        lossNorm[0], lossNorm[2], lossNorm[1], B / Math.max((te - ts) * 1e-9, 1e-9), (te - t0) * 1e-9));
                if (replica != null && verifyEvery > 0 && s.step() % verifyEvery == 0) replica.verify();
                if (checkpointEvery > 0 && s.step() % checkpointEvery == 0) save();
                if (s.position().batch() == 0) {                    // that was the epoch's last batch
                    save();
                    listener.onEpochEnd(s.epoch(), s);
                }
            }
        }
        save();
        listener.onFinish(s.step(), outcome);
        return outcome;
    }

    private void save() throws IOException {
        if (lastSaved == s.step()) return;
        s.model.engine().download(s.stateArrays());                  // a device engine copies the weights back now
        Path p = null;
        if (comm == null) {
            p = checkpointer.save(s);
        } else {
            replica.verify();                                        // never save a state the ranks disagree on
            comm.barrier();
            if (comm.rank() == 0) p = checkpointer.save(s);
            comm.barrier();                                          // nobody runs ahead of a checkpoint in flight
        }
        lastSaved = s.step();
        if (p != null) listener.onCheckpoint(s.step(), p);          // ranks other than 0 saved nothing
    }

    /** One optimiser step on images x (B, C, H, W) with labels (B). Returns {loss, grad norm (before clipping), lr}. */
    public double[] step(float[] x, int[] labels) {
        if (replica != null) return replica.step(x, labels);
        for (int b = 0; b < B; b++) {
            int label = labels[b];
            if (label < 0 || label >= nullClass) {
                throw new IllegalStateException("an image of the data has label " + label + ", outside [0, "
                        + nullClass + ")");
            }
            y[b] = s.noiseRng.uniform() < s.config.classDropout() ? nullClass : label;
            t[b] = FlowPath.logitNormal(s.noiseRng.nextGaussian());
        }
        s.noiseRng.fillNormal(eps, B * per, 1f);
        System.arraycopy(x, 0, x0, 0, B * per);
        double lr = s.config.schedule().at(s.step());
        s.adamw.hyper(lr, hp);
        s.model.engine().run(pass);
        double loss = lossNorm[0], norm = lossNorm[1];
        long stepNo = s.step() + 1;
        if (!Double.isFinite(loss)) throw new NonFiniteLossException(stepNo, "the loss", loss);
        if (!Double.isFinite(norm)) throw new NonFiniteLossException(stepNo, "the gradient norm", norm);
        s.adamw.advance();
        s.advance();
        return new double[]{loss, norm, lr};
    }

    /**
     * The training step as kernel calls: x_t and the target, forward, loss, backward, gradient norm and clip factor,
     * AdamW, EMA. Fixed arrays only, the same calls every step (the engine may record and replay them). The
     * gradients are zero when the step starts: the constructor zeroes them, and each step's AdamW kernel zeroes them
     * again once it has used them.
     */
    private void stepKernels() {
        Denoiser model = s.model;
        Engine e = model.engine();
        int n = B * per;
        e.interpolate(xt, x0, eps, t, n, per);                          // x_t = t·x + (1 − t)·ε
        e.velocityTarget(v, x0, eps, n);                                // v = x − ε
        float[] pred = model.forward(xt, t, y, B);
        mse.forward(lossNorm, 0, pred, v, B);                           // loss = mean((pred − v)²)
        model.backward(mse.backward());                                 // into zero gradients: adamwEma left them so
        gradSquares.sumInto(e, lossNorm, 1);                            // Σ g² over every parameter
        e.clipGate(gate, lossNorm, (float) s.config.clipNorm());       // norm, clip factor, finite?
        s.adamw.step(e, hp, gate, s.ema);                               // AdamW, then the EMA of the new weights
    }

}
