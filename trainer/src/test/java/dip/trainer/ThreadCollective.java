package dip.trainer;

import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A test double of a collective: W ranks as W threads of one JVM. Its sum is deliberately unfair: rank r adds the
 * arrays starting from its own (x_r + x_{r+1} + … in that order), so for W > 2 the ranks get different bits from a
 * plain sum, as a real ring all-reduce may. The trainer must not care (it uses the sum only where order cannot
 * matter). Not for production: the real collective is XGBoost4J's, in the cluster module.
 */
final class ThreadCollective {
    private final int W;
    private final float[][] deposit;
    private final CyclicBarrier bar;

    ThreadCollective(int W) {
        this.W = W;
        this.deposit = new float[W][];
        this.bar = new CyclicBarrier(W);
    }

    Collective rank(int r) {
        return new Collective() {
            @Override public int rank() { return r; }
            @Override public int size() { return W; }

            @Override public void allReduceSum(float[] x) {
                deposit[r] = x.clone();
                await();
                float[] acc = deposit[r].clone();
                for (int k = 1; k < W; k++) {
                    float[] src = deposit[(r + k) % W];
                    for (int i = 0; i < acc.length; i++) acc[i] += src[i];
                }
                await();                                     // everyone has read every deposit
                System.arraycopy(acc, 0, x, 0, x.length);
            }

            @Override public void barrier() { await(); }
        };
    }

    private void await() {
        try {
            bar.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
            throw new IllegalStateException("a rank did not arrive: " + e, e);
        }
    }
}
