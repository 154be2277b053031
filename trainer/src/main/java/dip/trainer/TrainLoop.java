package dip.trainer;

import dip.data.Dataset;
import dip.data.Loader;
import dip.flow.FlowPath;
import dip.model.Denoiser;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The flow-matching training loop (DIP-SPEC §3). One step: take the next B images x and labels y; replace each label
 * by the null class (numClasses) with probability p; draw t = σ(n), n ~ N(0, 1) per image and ε ~ N(0, I);
 * x_t = t·x + (1 − t)·ε and target v = x − ε (FlowPath); loss = mean((f(x_t, t, y) − v)²) over all B·C·H·W values;
 * backward; optional global-norm clip; AdamW at the scheduled lr; EMA update. All randomness comes from the state's
 * Rng, drawn in a fixed order (per image: dropout uniform, then n; then ε for the whole batch), and the batches from
 * a dip.data.Loader (background thread, shuffle fixed by the data seed, restartable at any (epoch, batch)), so a
 * seed fixes the run and a restored state continues it bit for bit.
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
    private final float[] eps, t, xt, v;     // eps, xt, v: (B, C, H, W); t: (B)
    private final float[] dv;                // dL/d(prediction): (B, C, H, W)
    private volatile boolean stopRequested;
    private long lastSaved = -1;

    public TrainLoop(TrainState state, Dataset data, ProgressListener listener, Checkpointer checkpointer,
                     int checkpointEvery) {
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
        this.B = state.config.batchSize();
        this.per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        this.nullClass = cfg.numClasses();
        y = new int[B];
        t = new float[B];
        eps = new float[B * per];
        xt = new float[B * per];
        v = new float[B * per];
        dv = new float[B * per];
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
        Path p = checkpointer.save(s);
        lastSaved = s.step();
        listener.onCheckpoint(s.step(), p);
    }

    /** One optimiser step on images x (B, C, H, W) with labels (B). Returns {loss, grad norm (before clipping), lr}. */
    double[] step(float[] x, int[] labels) {
        Denoiser model = s.model;
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
        FlowPath.interpolate(xt, x, eps, t, B, per);
        FlowPath.velocityTarget(v, x, eps, B * per);   // v now holds the target

        float[] pred = model.forward(xt, t, y, B);
        int n = B * per;
        double sum = 0;
        float scale = 2f / n;                           // d mean(d²) / d pred = 2·d / n
        for (int j = 0; j < n; j++) {
            float d = pred[j] - v[j];
            sum += (double) d * d;
            dv[j] = scale * d;
        }
        double loss = sum / n;
        long stepNo = s.step() + 1;
        if (!Double.isFinite(loss)) throw new NonFiniteLossException(stepNo, "the loss", loss);

        model.params().zeroGrad();
        model.backward(dv);
        double norm = Grads.globalNorm(model.params());
        if (!Double.isFinite(norm)) throw new NonFiniteLossException(stepNo, "the gradient norm", norm);
        if (s.config.clipNorm() > 0) Grads.clip(model.params(), norm, s.config.clipNorm());
        double lr = s.config.schedule().at(s.step());
        s.adamw.step(lr);
        s.ema.update();
        s.advance();
        return new double[]{loss, norm, lr};
    }

}
