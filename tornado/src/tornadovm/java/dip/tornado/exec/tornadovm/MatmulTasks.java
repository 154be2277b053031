package dip.tornado.exec.tornadovm;

// TornadoVM entry points for the matmul kernels: one work-item per row, each running the kernel itself over the
// one-row range [r, r + 1). No math here: TornadoVM inlines the kernel call, so the device code is MatmulKernels'.

import dip.tornado.kernels.MatmulKernels;

import uk.ac.manchester.tornado.api.annotations.Parallel;

/**
 * Why a wrapper and not the kernel as the task: TornadoVM (checked on 5.2.0) parallelises an {@code @Parallel} loop
 * only when its start is a constant ({@code TornadoApiReplacement} needs {@code isConstantInit()}), and our kernels
 * start at the parameter {@code r0} so the CPU engine can slice them. Here the parallel loop starts at 0, carries
 * TornadoVM's own {@code @Parallel}, and hands each index to the kernel as {@code [r, r + 1)}. TornadoVM must then
 * NOT be told to read {@code dip.tornado.Parallel} (no {@code -Dtornado.load.annotation.parallel=dip.tornado.Parallel}):
 * the inlined kernel loop is then an ordinary one-trip loop inside the work-item.
 */
public final class MatmulTasks {
    private MatmulTasks() {
    }

    /** {@link MatmulKernels#matmulForward} over rows [0, R). */
    public static void forward(float[] out, float[] x, float[] w, float[] b, int R, int IN, int OUT) {
        for (@Parallel int r = 0; r < R; r++) MatmulKernels.matmulForward(out, x, w, b, r, r + 1, IN, OUT);
    }

    /** {@link MatmulKernels#matmulBackwardInput} over rows [0, R): accumulates into dx. */
    public static void backwardInput(float[] dx, float[] dout, float[] w, int R, int IN, int OUT) {
        for (@Parallel int r = 0; r < R; r++) MatmulKernels.matmulBackwardInput(dx, dout, w, r, r + 1, IN, OUT);
    }

    /** {@link MatmulKernels#matmulBackwardWeight} over output rows [0, OUT): accumulates into dw, db. */
    public static void backwardWeight(float[] dw, float[] db, float[] dout, float[] x, int R, int IN, int OUT) {
        for (@Parallel int o = 0; o < OUT; o++) MatmulKernels.matmulBackwardWeight(dw, db, dout, x, o, o + 1, R, IN, OUT);
    }
}
