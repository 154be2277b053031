package dip.layers;

import dip.tornado.exec.Engine;


/**
 * L = mean((pred − target)²) over all B·per elements (F.mse_loss, reduction "mean"; docs/model-spec.md §4).
 * pred, target: (B, per). The one copy of the loss: the trainer's step ({@code TrainLoop}) and the PyTorch parity
 * test both run it. Kernels only: mseRowSums writes B partial sums, sumTo adds them in order and scales by 1/(B·per)
 * into a float slot, so a device engine keeps the loss on the device inside a recorded pass.
 */
public final class MseLoss {
    private final Engine engine;
    private final int maxBatch, per;
    private final float[] rowSum;     // (maxBatch): Σ_j err² per sample
    private final float[] dpred;      // (maxBatch, per)
    private final float[] value = new float[1];   // the loss, for forward(pred, target, B)
    private float[] pred, target;     // backward cache (references)
    private int B;

    public MseLoss(Engine engine, int maxBatch, int per) {
        this.engine = engine;
        this.maxBatch = maxBatch;
        this.per = per;
        rowSum = new float[maxBatch];
        dpred = new float[maxBatch * per];
    }

    /** Writes the mean squared error into out[k] (kernel calls only; nothing is read back on the host). */
    public void forward(float[] out, int k, float[] pred, float[] target, int B) {
        if (B > maxBatch) throw new IllegalArgumentException("MseLoss: batch " + B + " > maxBatch " + maxBatch);
        this.pred = pred;
        this.target = target;
        this.B = B;
        float[] rs = rowSum;
        engine.mseRowSums(rs, pred, target, B, per);
        engine.sumTo(out, k, rs, B, 1f / (B * per));                        // loss = Σ (pred − target)² / (B·per)
    }

    /** Returns the mean squared error (the same kernels as {@link #forward(float[], int, float[], float[], int)}). */
    public double forward(float[] pred, float[] target, int B) {
        forward(value, 0, pred, target, B);
        engine.download(value);
        return value[0];
    }

    /** Returns dL/dpred = 2(pred − target)/(B·per), layer-owned (B, per), overwritten. */
    public float[] backward() {
        int n = B * per;
        float scale = 2f / n;
        float[] p = pred, t = target;
        engine.mseBackward(dpred, p, t, n, scale);                          // d mean(d²) / d pred = 2·d / n
        return dpred;
    }
}
