package dip.layers;

import dip.tornado.exec.Engine;


/**
 * L = mean((pred − target)²) over all B·per elements (F.mse_loss, reduction "mean"; docs/model-spec.md §4).
 * pred, target: (B, per). The kernel writes B partial sums; the host adds them in double.
 */
public final class MseLoss {
    private final Engine engine;
    private final int maxBatch, per;
    private final float[] rowSum;     // (maxBatch): Σ_j err² per sample
    private final float[] dpred;      // (maxBatch, per)
    private float[] pred, target;     // backward cache (references)
    private int B;

    public MseLoss(Engine engine, int maxBatch, int per) {
        this.engine = engine;
        this.maxBatch = maxBatch;
        this.per = per;
        rowSum = new float[maxBatch];
        dpred = new float[maxBatch * per];
    }

    /** Returns the mean squared error. */
    public double forward(float[] pred, float[] target, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("MseLoss: batch " + B + " > maxBatch " + maxBatch);
        this.pred = pred;
        this.target = target;
        this.B = B;
        engine.mseRowSums(rowSum, pred, target, B, per);
        double s = 0;
        for (int b = 0; b < B; b++) s += rowSum[b];
        return s / ((double) B * per);
    }

    /** Per-sample squared-error sums of the last forward, (B); for per-sample logging. */
    public float[] rowSums() { return rowSum; }

    /** Returns dL/dpred = 2(pred − target)/(B·per), layer-owned (B, per), overwritten. */
    public float[] backward() {
        int n = B * per;
        engine.zero(dpred, n);
        float scale = 2f / n;
        float[] p = pred, t = target;
        engine.mseBackward(dpred, p, t, n, scale);
        return dpred;
    }
}
