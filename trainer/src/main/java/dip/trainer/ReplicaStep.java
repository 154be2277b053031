package dip.trainer;

import dip.flow.FlowPath;
import dip.layers.ParamRegistry;
import dip.model.Denoiser;
import dip.tornado.exec.Engine;
import dip.tornado.exec.Pass;
import dip.tornado.kernels.OptimizerKernels;
import dip.util.Rng;

/**
 * One data-parallel training step, run by every rank of a {@link Collective}: the same math as TrainLoop's single
 * pass, cut at the gradient so the ranks can sum theirs. It gives the same bits for every worker count W that
 * divides the run's gradient groups G with G / W a power of two (W = 1 included), so a run's numbers do not depend
 * on how many machines ran it.
 *
 * <p><b>Who computes what.</b> Step s's global batch (B images) comes from the Loader, fixed by (seed, epoch,
 * step); every rank reads it. It is cut into G groups of B/G samples, and rank r computes groups
 * [r·m, (r+1)·m), m = G/W, one forward and backward per group. Sample i's label dropout, t and ε come from its own
 * Rng keyed by (seed, step, i) ({@link #noiseFor}), so they do not depend on the rank that draws them. A group's
 * gradient is therefore the same bits on whichever rank computes it.
 *
 * <p><b>The sum, in one fixed shape.</b> The G group gradients g0 … g(G−1) are added as a pairwise tree:
 * <pre>
 *   level 1:  g0+g1      g2+g3      g4+g5      g6+g7          ({@link #treeSum}: stride 1, 2, 4, …)
 *   level 2:  (g0+g1)+(g2+g3)       (g4+g5)+(g6+g7)
 *   level 3:  ((g0+g1)+(g2+g3)) + ((g4+g5)+(g6+g7))
 * </pre>
 * A rank's m = 2^k groups are an aligned block, so its local tree is exactly a subtree of the whole, and the W
 * rank partials are the tree's nodes at level k. Finishing the tree over them gives the same additions in the same
 * order as one process summing all G. For W = 2 that is one addition a + b, which allReduceSum gives exactly
 * (float addition is commutative, and there is nothing else to order); for W > 2 the ranks gather every partial
 * ({@link Collective#allGather}, exact) and each finishes the tree itself. The loss is summed the same way: the
 * per-sample squared errors are gathered and added in sample order.
 *
 * <p><b>The update.</b> Every rank holds the full model, AdamW moments and EMA, and applies the same update to the
 * same summed gradient in a second pass (norm, clip, AdamW, EMA), so the replicas stay equal; {@link #verify}
 * compares a hash of every rank's state and throws on the first difference.
 */
final class ReplicaStep {
    private final TrainState s;
    private final Collective comm;
    private final Engine e;
    private final ParamRegistry reg;
    private final Object[] grads;              // every bank's gradient array, for download/upload
    private final int B, G, W, m, Bg, per, nullClass, P;
    private final int[] y;                     // (Bg) labels after dropout, of the group in hand
    private final float[] x0, eps, t, xt, v;   // x0, eps, xt, v: (Bg, C, H, W); t: (Bg)
    private final float[] dv;                  // dL/d(prediction): (Bg, C, H, W)
    private final float[] rowSum;              // (Bg) per-image squared-error sums of the group
    private final float[] mySums, allSums;     // (B/W) this rank's per-image sums, (B) everyone's
    private final float[] slots;               // (m, P) this rank's group gradients, then their tree sum in slot 0
    private final float[] reduced;             // (P) the step's gradient, summed over every group
    private final float[] gathered;            // (W, P) every rank's partial, only when W > 2
    private final GradSquares gradSquares;     // Σ g², for the clip factor
    private final float[] lossNorm = new float[2];
    private final float[] hp = new float[OptimizerKernels.HP_SIZE];
    private final float[] gate = new float[OptimizerKernels.GATE_SIZE];
    private final Pass gradPass, updatePass;

    ReplicaStep(TrainState state, Collective comm, int groups) {
        this.s = state;
        this.comm = comm;
        this.e = state.model.engine();
        this.reg = state.model.params();
        var cfg = state.model.config();
        B = state.config.batchSize();
        G = groups;
        W = comm.size();
        if (G < 1 || B % G != 0) {
            throw new IllegalArgumentException("gradient groups " + G + " must divide the batch size " + B);
        }
        if (W < 1 || G % W != 0 || Integer.bitCount(G / W) != 1) {
            throw new IllegalArgumentException("gradient groups " + G + " over " + W + " workers: G must be W times a"
                    + " power of two (e.g. " + W + ", " + 2 * W + ", " + 4 * W + ")");
        }
        m = G / W;
        Bg = B / G;
        per = cfg.channels() * cfg.imageSize() * cfg.imageSize();
        nullClass = cfg.numClasses();
        grads = new Object[ParamRegistry.BANKS];
        for (int b = 0; b < ParamRegistry.BANKS; b++) grads[b] = reg.grad(b);
        P = Math.toIntExact(reg.count());
        y = new int[Bg];
        t = new float[Bg];
        rowSum = new float[Bg];
        x0 = new float[Bg * per];
        eps = new float[Bg * per];
        xt = new float[Bg * per];
        v = new float[Bg * per];
        dv = new float[Bg * per];
        mySums = new float[B / W];
        allSums = new float[B];
        slots = new float[m * P];
        reduced = new float[P];
        gathered = W > 2 ? new float[W * P] : null;
        gradSquares = new GradSquares(reg);
        gradPass = new Pass("train.grad.B" + Bg, new Object[] {x0, eps, t, y}, new Object[] {rowSum}, this::gradKernels);
        updatePass = new Pass("train.update", new Object[] {lossNorm, hp}, new Object[] {lossNorm}, this::updateKernels);
    }

    /** The whole step on images x (B, C, H, W) with labels (B): returns {loss, grad norm (before clipping), lr}. */
    double[] step(float[] x, int[] labels) {
        long step = s.step();
        int first = comm.rank() * m;                                    // this rank's first group
        for (int j = 0; j < m; j++) {
            int i0 = (first + j) * Bg;                                  // the group's first sample in the batch
            for (int b = 0; b < Bg; b++) {
                int label = labels[i0 + b];
                if (label < 0 || label >= nullClass) {
                    throw new IllegalStateException("an image of the data has label " + label + ", outside [0, "
                            + nullClass + ")");
                }
                Rng r = noiseFor(s.config.seed(), step, i0 + b);
                y[b] = r.uniform() < s.config.classDropout() ? nullClass : label;
                t[b] = FlowPath.logitNormal(r.nextGaussian());
                for (int k = 0; k < per; k++) eps[b * per + k] = (float) r.nextGaussian();
            }
            System.arraycopy(x, i0 * per, x0, 0, Bg * per);
            e.run(gradPass);
            System.arraycopy(rowSum, 0, mySums, j * Bg, Bg);
            e.download(grads);                                          // a device engine's grads, to the host
            int off = j * P;
            for (int b = 0; b < ParamRegistry.BANKS; b++) {             // bank by bank, end to end
                System.arraycopy(reg.grad(b), 0, slots, off, reg.count(b));
                off += reg.count(b);
            }
        }
        treeSum(slots, m, P);                                           // this rank's subtree, in slot 0
        System.arraycopy(slots, 0, reduced, 0, P);
        if (W == 2) {
            comm.allReduceSum(reduced);                                 // the root: a + b, exact in any order
        } else if (W > 2) {
            comm.allGather(reduced, gathered);                          // every partial, exactly
            treeSum(gathered, W, P);                                    // the tree's upper levels, here
            System.arraycopy(gathered, 0, reduced, 0, P);
        }
        comm.allGather(mySums, allSums);
        int off = 0;
        for (int b = 0; b < ParamRegistry.BANKS; b++) {
            System.arraycopy(reduced, off, reg.grad(b), 0, reg.count(b));
            off += reg.count(b);
        }
        e.upload(grads);
        int n = B * per;
        OptimizerKernels.sumTo(lossNorm, 0, allSums, B, 1f / n, 0, 1);   // loss = Σ (pred − v)² / n, in sample order
        double lr = s.config.schedule().at(step);
        s.adamw.hyper(lr, hp);
        e.run(updatePass);
        double loss = lossNorm[0], norm = lossNorm[1];
        if (!Double.isFinite(loss)) throw new NonFiniteLossException(step + 1, "the loss", loss);
        if (!Double.isFinite(norm)) throw new NonFiniteLossException(step + 1, "the gradient norm", norm);
        s.adamw.advance();
        s.advance();
        return new double[]{loss, norm, lr};
    }

    /**
     * The noise of sample {@code index} of step {@code step}'s global batch: its own Rng, seeded by a hash of
     * (seed, step, index), drawn in a fixed order (dropout uniform, n for t, then its ε). Counter-based: any rank
     * can draw any sample's noise without drawing the others'.
     */
    static Rng noiseFor(long seed, long step, int index) {
        long h = mix(seed ^ TrainState.NOISE_STREAM);
        h = mix(h + step * 0x9E3779B97F4A7C15L);
        return new Rng(mix(h + index * 0xC2B2AE3D27D4EB4FL));
    }

    private static long mix(long z) {                                   // SplitMix64's finaliser
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Sums K vectors of length P, stored one after another in a, as the pairwise tree: stride 1 adds vector 1 into
     * 0, 3 into 2, …; stride 2 adds 2 into 0, 6 into 4, …; until one vector is left, in slot 0. For K a power of
     * two this is the complete binary tree; an unpaired vector waits for the next level.
     */
    static void treeSum(float[] a, int K, int P) {
        for (int stride = 1; stride < K; stride *= 2) {
            for (int k = 0; k + stride < K; k += 2 * stride) {
                int dst = k * P, src = (k + stride) * P;
                for (int i = 0; i < P; i++) a[dst + i] += a[src + i];
            }
        }
    }

    /**
     * Compares every rank's weights, EMA and AdamW moments (a 64-bit hash, gathered exactly) and throws when any
     * rank differs from rank 0: replicas that stopped agreeing would otherwise train on silently.
     */
    void verify() {
        e.download(s.stateArrays());
        long h = hash(s.stateArrays());
        float[] mine = new float[4], all = new float[4 * W];
        for (int k = 0; k < 4; k++) mine[k] = (float) ((h >>> (16 * k)) & 0xFFFF);   // 16-bit pieces: exact floats
        comm.allGather(mine, all);
        for (int r = 1; r < W; r++) {
            for (int k = 0; k < 4; k++) {
                if (all[4 * r + k] != all[k]) {
                    throw new IllegalStateException("replicas diverged by step " + s.step() + ": rank " + r
                            + "'s weights differ from rank 0's (hash pieces " + all[4 * r + k] + " vs " + all[k]
                            + "); the last checkpoint is from before this check");
                }
            }
        }
    }

    /** FNV-1a over the raw bits of every float of the arrays. */
    static long hash(Object[] arrays) {
        long h = 0xCBF29CE484222325L;
        for (Object o : arrays) {
            for (float f : (float[]) o) {
                h ^= Float.floatToRawIntBits(f);
                h *= 0x100000001B3L;
            }
        }
        return h;
    }

    /** The gradient of one group: x_t and the target, forward, loss rows, backward (scaled for the whole batch). */
    private void gradKernels() {
        Denoiser model = s.model;
        int n = Bg * per;
        e.interpolate(xt, x0, eps, t, n, per);                          // x_t = t·x + (1 − t)·ε
        e.velocityTarget(v, x0, eps, n);                                // v = x − ε
        float[] pred = model.forward(xt, t, y, Bg);
        e.mseRowSums(rowSum, pred, v, Bg, per);
        reg.zeroGrad(e);
        e.mseBackward(dv, pred, v, n, 2f / (B * per));                  // d mean(d²) / d pred over the whole batch
        model.backward(dv);
    }

    /** The update from the summed gradient: norm, clip factor, AdamW, EMA (as TrainLoop's single pass ends). */
    private void updateKernels() {
        gradSquares.sumInto(e, lossNorm, 1);                            // Σ g² over every parameter
        e.clipGate(gate, lossNorm, (float) s.config.clipNorm());
        s.adamw.step(e, hp, gate, s.ema);                               // AdamW, then the EMA of the new weights
    }
}
