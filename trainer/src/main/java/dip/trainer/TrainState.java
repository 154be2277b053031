package dip.trainer;

import dip.data.Loader;
import dip.model.Denoiser;
import dip.util.Rng;

/**
 * Everything a training run changes, in one place: the model's weights (in the Denoiser's ParamRegistry), the EMA,
 * AdamW's moments and step count, the noise Rng (label dropout, t, ε), the data loader's position (epoch, batch;
 * the shuffle of each epoch is fixed by the data seed) and the global step. A checkpoint (TrainCheckpoint) is exactly
 * this plus the configs; a resumed run restores it.
 */
public final class TrainState {
    /** Offsets that derive the three independent streams from the one --seed (Rng mixes the seed with SplitMix). */
    static final long INIT_STREAM = 0x494E4954L, NOISE_STREAM = 0x4E4F4953L, DATA_STREAM = 0x44415441L;

    public final Denoiser model;
    public final TrainConfig config;
    public final AdamW adamw;
    public final Ema ema;
    public final Rng noiseRng;
    public final int dataSize;
    private long step;                                      // optimiser updates done
    private Loader.State position = new Loader.State(0, 0); // the next batch the loader gives

    /** A fresh run: the model must already hold its initial weights; EMA starts as their copy. */
    public TrainState(Denoiser model, TrainConfig config, int dataSize) {
        this.model = model;
        this.config = config;
        this.dataSize = dataSize;
        this.adamw = new AdamW(model.params(), config.beta1(), config.beta2(), AdamW.DEFAULT_EPS, config.weightDecay());
        this.ema = new Ema(model.params(), config.emaDecay());
        this.noiseRng = new Rng(config.seed() ^ NOISE_STREAM);
        if (dataSize < config.batchSize()) {
            throw new IllegalArgumentException("the data has " + dataSize + " images, fewer than one batch of "
                    + config.batchSize() + "; use a smaller --batch-size");
        }
        if (config.batchSize() > model.maxBatch()) {
            throw new IllegalArgumentException("batch size " + config.batchSize() + " > the model's maxBatch "
                    + model.maxBatch());
        }
    }

    /** The Rng a fresh model is initialised with, from the run's seed. */
    public static Rng initRng(long seed) { return new Rng(seed ^ INIT_STREAM); }

    public long step() { return step; }

    /** Everything a checkpoint holds that a device engine may keep on the device: weights, moments, EMA. */
    public Object[] stateArrays() {
        Object[] p = model.params().dataArrays(), m = adamw.arrays(), e = ema.arrays();
        Object[] all = new Object[p.length + m.length + e.length];
        System.arraycopy(p, 0, all, 0, p.length);
        System.arraycopy(m, 0, all, p.length, m.length);
        System.arraycopy(e, 0, all, p.length + m.length, e.length);
        return all;
    }

    /** The data loader's shuffle seed, from the run's seed. */
    public long dataSeed() { return config.seed() ^ DATA_STREAM; }

    /** Full batches per epoch (the last partial batch is dropped). */
    public int stepsPerEpoch() { return dataSize / config.batchSize(); }

    /** Where the data stream stands: the next batch is batch {@code batch} of 0-based epoch {@code epoch}. */
    public Loader.State position() { return position; }

    void setPosition(Loader.State p) {
        if (p.batch() >= stepsPerEpoch()) {
            throw new IllegalArgumentException("data position " + p + " is past the end of an epoch (" + stepsPerEpoch()
                    + " batches)");
        }
        position = p;
    }

    /** 0-based epoch of the next batch = the number of epochs finished. */
    public int epoch() { return (int) position.epoch(); }

    void setStep(long s) { step = s; }

    void advance() { step++; }
}
