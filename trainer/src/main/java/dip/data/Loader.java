package dip.data;

import dip.util.Rng;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Shuffled batches from a {@link Dataset}, prepared by one background daemon thread so that decoding overlaps the
 * training step. Epoch e visits the images in a Fisher–Yates permutation drawn from {@code new Rng(mix(seed, e))},
 * so a run's batches are fixed by the seed, and the loader can restart at any {@link State} (epoch, batch) exactly:
 * a checkpoint saves {@link #state()} and a resumed run passes it back. The last partial batch of an epoch is
 * dropped (each epoch has size / batchSize batches).
 * <p>
 * Batches come from a small pool ({@code depth} ready + the one the consumer holds + the one being filled), so memory
 * stays bounded: a {@link Batch} returned by {@link #next()} is valid until the following {@code next()}.
 * An exception in the dataset is rethrown by {@code next()}. {@link #close()} stops the thread.
 */
public final class Loader implements AutoCloseable {

    /** Where the stream of batches stands: the next batch is batch {@code batch} of epoch {@code epoch}. */
    public record State(long epoch, long batch) {
        public State {
            if (epoch < 0 || batch < 0) throw new IllegalArgumentException("loader state must be non-negative: " + epoch + ", " + batch);
        }

        /** "epoch:batch", for checkpoint metadata. */
        @Override public String toString() { return epoch + ":" + batch; }

        public static State parse(String s) {
            int i = s.indexOf(':');
            try {
                if (i > 0) return new State(Long.parseLong(s.substring(0, i)), Long.parseLong(s.substring(i + 1)));
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
            throw new IllegalArgumentException("loader state must look like epoch:batch, got '" + s + "'");
        }
    }

    /** One batch: x (B, C, H, W) in [−1, 1], y (B) labels; it is batch {@code index} of epoch {@code epoch}. */
    public static final class Batch {
        public final float[] x;
        public final int[] y;
        long epoch, index;

        Batch(int B, int imageFloats) { x = new float[B * imageFloats]; y = new int[B]; }

        public long epoch() { return epoch; }

        public long index() { return index; }
    }

    private final Dataset ds;
    private final int B;
    private final long seed;
    private final BlockingQueue<Object> ready;       // Batch, or the Throwable that stopped the producer
    private final BlockingQueue<Batch> free;
    private final Thread thread;
    private volatile boolean closed;
    private Batch held;                              // the batch the consumer has, returned to the pool on next()
    private State state;

    /** Starts at epoch 0, batch 0. */
    public Loader(Dataset ds, int batchSize, long seed, int depth) {
        this(ds, batchSize, seed, depth, new State(0, 0));
    }

    /** Starts at {@code start} (from a checkpoint). {@code depth} ≥ 1 batches are prepared ahead. */
    public Loader(Dataset ds, int batchSize, long seed, int depth, State start) {
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        if (depth <= 0) throw new IllegalArgumentException("loader depth must be positive, got " + depth);
        if (ds.size() < batchSize) {
            throw new IllegalArgumentException("the dataset has " + ds.size() + " images, fewer than one batch of " + batchSize);
        }
        this.ds = ds; this.B = batchSize; this.seed = seed;
        long perEpoch = batchesPerEpoch();
        this.state = new State(start.epoch() + start.batch() / perEpoch, start.batch() % perEpoch);
        this.ready = new ArrayBlockingQueue<>(depth);
        this.free = new ArrayBlockingQueue<>(depth + 2);
        for (int i = 0; i < depth + 2; i++) free.add(new Batch(B, ds.imageFloats()));
        this.thread = new Thread(this::produce, "dip-data-loader");
        thread.setDaemon(true);
        thread.start();
    }

    /** Full batches per epoch: size / batchSize (the remainder is dropped). */
    public long batchesPerEpoch() { return ds.size() / B; }

    public int batchSize() { return B; }

    /** The position of the next batch {@link #next()} returns: what a checkpoint saves. */
    public State state() { return state; }

    /** The next batch (blocks while it is being prepared). The previous batch's arrays are reused from now on. */
    public Batch next() throws IOException {
        if (closed) throw new IllegalStateException("loader is closed");
        if (held != null) { free.add(held); held = null; }
        Object o;
        try {
            o = ready.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a batch", e);
        }
        if (o instanceof Throwable t) {
            ready.add(t);                                            // every later next() fails the same way
            if (t instanceof IOException io) throw new IOException("data loader: " + io.getMessage(), io);
            throw new IllegalStateException("data loader failed: " + t, t);
        }
        held = (Batch) o;
        long e = held.epoch, i = held.index + 1;
        state = i == batchesPerEpoch() ? new State(e + 1, 0) : new State(e, i);
        return held;
    }

    /** The image order of epoch {@code epoch}: a permutation of 0..n−1 from its own Rng. */
    public static int[] permutation(int n, long seed, long epoch) {
        Rng rng = new Rng(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1)));
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {                            // Fisher–Yates
            int j = rng.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    private void produce() {
        long epoch = state.epoch(), b = state.batch();
        int F = ds.imageFloats();
        try {
            while (!closed) {
                int[] perm = permutation(ds.size(), seed, epoch);
                for (; b < batchesPerEpoch() && !closed; b++) {
                    Batch batch = free.take();
                    for (int k = 0; k < B; k++) batch.y[k] = ds.read(perm[(int) (b * B + k)], batch.x, k * F);
                    batch.epoch = epoch; batch.index = b;
                    ready.put(batch);
                }
                epoch++;
                b = 0;
            }
        } catch (InterruptedException e) {
            // close() interrupts a producer blocked on a queue: just stop
        } catch (Throwable t) {
            try {
                ready.put(t);                                        // after the batches made before it
            } catch (InterruptedException e) {
                // closed while waiting: nobody is left to tell
            }
        }
    }

    /** Stops the background thread (waits up to 5 s for it). */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
