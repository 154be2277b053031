package dip.tornado.exec;

import java.util.ArrayList;
import java.util.List;

/**
 * An engine that computes nothing: it writes down each kernel call, which kernel and how many work-items a device
 * launch of it has (the size of the kernel's {@code @Parallel} loops: the range an engine slices for most kernels;
 * for the kernels with two parallel loops, overridden below, rows × columns). Running a model's sampling step or
 * training step through it lists what a device engine launches, for any preset and batch, XL included, in seconds
 * and without a device: how many launches a step makes (each costs a device engine a fixed time outside the kernel)
 * and how much parallel work each gives a GPU.
 * <p>Arrays are never written, so whatever the host computes from them is meaningless: only the calls count.
 */
public final class LaunchCounter implements Engine {

    /** One kernel launch: the Engine method and its work-items. */
    public record Launch(String kernel, long workItems) {
    }

    private final List<Launch> launches = new ArrayList<>();

    /** The launches recorded so far, in call order. */
    public List<Launch> launches() { return List.copyOf(launches); }

    /** Forgets the launches recorded so far. */
    public void clear() { launches.clear(); }

    @Override public String name() { return "count"; }

    @Override public int threads() { return 1; }

    /** Every default kernel method reaches its kernel through here: one launch of n work-items, named by the caller. */
    @Override
    public void parallelFor(int n, RangeBody body) {
        String kernel = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(s -> s.filter(f -> f.getDeclaringClass() == Engine.class).findFirst())
                .map(StackWalker.StackFrame::getMethodName).orElse("parallelFor");
        launches.add(new Launch(kernel, n));
    }

    @Override
    public void matmulForward(float[] out, float[] x, float[] w, int wOff, float[] b, int bOff, int R, int IN, int OUT) {
        launches.add(new Launch("matmulForward", (long) R * OUT));
    }

    @Override
    public void matmulBackwardInput(float[] dx, float[] dout, float[] w, int wOff, int R, int IN, int OUT) {
        launches.add(new Launch("matmulBackwardInput", (long) R * IN));
    }

    @Override
    public void matmulBackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x, int R, int IN, int OUT) {
        launches.add(new Launch("matmulBackwardWeight", (long) OUT * IN));
    }

    @Override
    public void modulateForward(float[] out, float[] x, float[] mod, int R, int N, int D, int chunks, int shiftIdx, int scaleIdx) {
        launches.add(new Launch("modulateForward", (long) R * D));
    }

    @Override
    public void modulateBackwardInput(float[] dx, float[] dout, float[] mod, int R, int N, int D, int chunks, int scaleIdx) {
        launches.add(new Launch("modulateBackwardInput", (long) R * D));
    }

    @Override
    public void gateResidualForward(float[] out, float[] x, float[] y, float[] mod, int R, int N, int D, int chunks, int gateIdx) {
        launches.add(new Launch("gateResidualForward", (long) R * D));
    }

    @Override
    public void gateResidualBackwardInput(float[] dx, float[] dy, float[] dout, float[] mod, int R, int N, int D, int chunks, int gateIdx) {
        launches.add(new Launch("gateResidualBackwardInput", (long) R * D));
    }

    @Override
    public void patchifyForward(float[] tok, float[] x, int BN, int C, int H, int W, int P) {
        launches.add(new Launch("patchifyForward", (long) BN * C * P * P));
    }

    @Override
    public void patchifyBackward(float[] dx, float[] dtok, int BN, int C, int H, int W, int P) {
        launches.add(new Launch("patchifyBackward", (long) BN * C * P * P));
    }

    @Override
    public void unpatchifyForward(float[] out, float[] tok, int BN, int C, int H, int W, int P) {
        launches.add(new Launch("unpatchifyForward", (long) BN * C * P * P));
    }

    @Override
    public void unpatchifyBackward(float[] dtok, float[] dout, int BN, int C, int H, int W, int P) {
        launches.add(new Launch("unpatchifyBackward", (long) BN * C * P * P));
    }

    @Override
    public void conv3x3Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff, int B, int CI, int CO, int H, int W) {
        launches.add(new Launch("conv3x3Forward", (long) B * CO * H * W));
    }

    @Override
    public void conv3x3BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W) {
        launches.add(new Launch("conv3x3BackwardInput", (long) B * CI * H * W));
    }

    @Override
    public void conv3x3BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                      int B, int CI, int CO, int H, int W) {
        launches.add(new Launch("conv3x3BackwardWeight", (long) CO * CI * 9));
    }

    @Override
    public void conv1x1Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff, int B, int CI, int CO, int HW) {
        launches.add(new Launch("conv1x1Forward", (long) B * CO * HW));
    }

    @Override
    public void conv1x1BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int HW) {
        launches.add(new Launch("conv1x1BackwardInput", (long) B * CI * HW));
    }

    @Override
    public void convTranspose2x2Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff,
                                        int B, int CI, int CO, int H, int W) {
        launches.add(new Launch("convTranspose2x2Forward", 4L * B * CO * H * W));
    }

    @Override
    public void convTranspose2x2BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W) {
        launches.add(new Launch("convTranspose2x2BackwardInput", (long) B * CI * H * W));
    }

    @Override
    public void convTranspose2x2BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                               int B, int CI, int CO, int H, int W) {
        launches.add(new Launch("convTranspose2x2BackwardWeight", (long) CI * CO * 4));
    }

    /** Three launches: scores (rows × keys), softmax (rows), values (rows × head size). */
    @Override
    public void attentionForward(float[] out, float[] att, float[] q, float[] k, float[] v, int BH, int N, int HS, float scale) {
        long rows = (long) BH * N;
        launches.add(new Launch("attentionForward", rows * N));
        launches.add(new Launch("attentionForward", rows));
        launches.add(new Launch("attentionForward", rows * HS));
    }

    /** Four launches: dP (rows × keys), softmax backward (rows), dq and dk/dv (rows × head size). */
    @Override
    public void attentionBackward(float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                                  float[] v, float[] att, int BH, int N, int HS, float scale) {
        long rows = (long) BH * N;
        launches.add(new Launch("attentionBackward", rows * N));
        launches.add(new Launch("attentionBackward", rows));
        launches.add(new Launch("attentionBackward", rows * HS));
        launches.add(new Launch("attentionBackward", rows * HS));
    }

    @Override
    public void sumTo(float[] out, int k, float[] x, int n, float scale) {
        launches.add(new Launch("sumTo", 1));
    }

    @Override
    public void clipGate(float[] gate, float[] lossNorm, float maxNorm) {
        launches.add(new Launch("clipGate", 1));
    }
}
