package dip.trainer;

import dip.util.Rng;

/**
 * The order the loop reads the data in: a fresh random permutation per epoch (Fisher–Yates from its own Rng),
 * read in batches of B, the last partial batch dropped. Its whole state is (epoch, position, the Rng state at the
 * start of the epoch): restoring those regenerates the same permutation, so a resumed run reads the same images.
 */
public final class DataOrder {
    private final int size, batch;
    private final Rng rng;
    private final int[] perm;
    private int epoch;           // 0-based epoch being read
    private int position;        // batches of this epoch already read
    private long[] epochStart;   // rng state before this epoch's shuffle

    public DataOrder(int size, int batch, Rng rng) {
        if (batch <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batch);
        if (size < batch) {
            throw new IllegalArgumentException("the data has " + size + " images, fewer than one batch of " + batch
                    + "; use a smaller --batch-size");
        }
        this.size = size;
        this.batch = batch;
        this.rng = rng;
        this.perm = new int[size];
        startEpoch(0);
    }

    /** Batches per epoch: floor(size / B). */
    public int stepsPerEpoch() { return size / batch; }

    public int epoch() { return epoch; }

    public int position() { return position; }

    public boolean epochDone() { return position >= stepsPerEpoch(); }

    /** Starts epoch e: shuffles with the Rng as it stands now, position 0. */
    public void startEpoch(int e) {
        epoch = e;
        position = 0;
        epochStart = rng.state();
        for (int i = 0; i < size; i++) perm[i] = i;
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
        }
    }

    /** The dataset indices of the next batch (B of them) into idx; advances the position. */
    public void nextBatch(int[] idx) {
        if (epochDone()) throw new IllegalStateException("epoch " + epoch + " has no batches left");
        System.arraycopy(perm, position * batch, idx, 0, batch);
        position++;
    }

    /** The Rng state before this epoch's shuffle (for checkpoints). */
    public long[] epochStartState() { return epochStart.clone(); }

    /** Restores a saved (epoch, position, epoch-start Rng state). */
    public void restore(int e, int pos, long[] rngStateAtEpochStart) {
        if (pos < 0 || pos > stepsPerEpoch()) {
            throw new IllegalArgumentException("data position " + pos + " is outside [0, " + stepsPerEpoch() + "]");
        }
        rng.setState(rngStateAtEpochStart);
        startEpoch(e);
        position = pos;
    }
}
