package dip.tornado.exec.tornadovm;

// The TornadoVM engine: runs the matmul kernels of MatmulKernels as TornadoVM TaskGraphs on the default device.
// Compiled only by the `tornadovm` Maven profile (TORNADOVM_HOME set), like everything that imports
// uk.ac.manchester.tornado.*. It holds no math of its own: the tasks run the very kernel methods the CPU runs.

import dip.tornado.exec.Engine;
import dip.tornado.exec.JavaEngine;
import dip.tornado.exec.RangeBody;
import dip.tornado.kernels.MatmulKernels;

import java.util.HashMap;
import java.util.Map;

import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * Runs {@code matmulForward}, {@code matmulBackwardInput} and {@code matmulBackwardWeight} of {@link MatmulKernels}
 * (the same methods the {@link JavaEngine} slices across threads) as TornadoVM tasks over the whole range
 * [0, R) (or [0, OUT) for the weight gradient): the kernel method itself is the task, and its
 * {@code @Parallel} loop, which counts from 0 to {@code r1 - r0}, becomes the device's work-items. Everything else
 * ({@link #parallelFor}) runs on a CPU {@link JavaEngine}.
 *
 * <p>One execution plan per distinct call site: the key is the op, the identity of every array and the shape, so a
 * layer that calls {@code matmulForward(y, x, W, b, R, IN, OUT)} step after step with its own buffers compiles once
 * and then only replays (TornadoVM also specialises the kernel on the int arguments, so a new shape is a new
 * compile anyway). Each plan is built lazily on its first call:
 * <pre>
 *   graph "matmul3" (forward of one Linear, R=64 IN=96 OUT=80)
 *     host ──W, b (FIRST_EXECUTION: copied once, then resident; see residentWeights)──▶ device
 *     host ──x    (EVERY_EXECUTION)──────────────────────────────────────────────────▶ device
 *     task "matmul3.forward": MatmulKernels.matmulForward(out, x, W, b, 0, R, IN, OUT)
 *                             (for (@Parallel int it = 0; it < R - 0; it++): one work-item per row)
 *     device ──out (EVERY_EXECUTION)─────────────────────────────────────────────────▶ host
 *
 *   graph "matmul4" (backward input):  dx, dout every call, W resident;  task "backwardInput";  dx back
 *   graph "matmul5" (backward weight): dW, db, dout, x every call;      task "backwardWeight"; dW, db back
 * </pre>
 * Backward kernels accumulate, so their d* buffers go to the device on every call (the caller zeroes them on the
 * host). TornadoVM sees {@code out} as write-only: it never copies it in but copies the whole array back, so when
 * {@code out} is longer than {@code R·OUT} (a layer buffer sized for a larger batch) the plan keeps the rows past R
 * on the host and puts them back after the run, as the CPU engine leaves them.
 *
 * <p>This is a seam, not yet a fast GPU path: every call still moves its activations both ways. The goal, per
 * STYLE.md, is one TaskGraph per block and pass over the fixed layer buffers, activations resident on the device
 * and only the input and the result crossing the bus:
 * <pre>
 *   x ─▶ [patchEmbed] ─▶ [block0: adaLN, LN, modulate, qkv, attn, proj, gate, LN, mlp, gate] ─▶ ... ─▶ [final] ─▶ v
 *        one TaskGraph per box, every kernel a task, buffers passed on with consumeFromDevice between graphs
 * </pre>
 * That needs every kernel as a task (through {@code parallelFor}'s callers), not just matmul: a later issue. The
 * kernels already run as tasks unchanged (TornadoKernelsTest runs a set of them directly in TaskGraphs).
 *
 * <p>Launch with TornadoVM's JVM flags from the SDK's argfile, and point TornadoVM at the project's annotation
 * (after the argfile, so it overrides the argfile's value):
 * <pre>
 *   java @$TORNADOVM_HOME/tornado-argfile -Dtornado.load.annotation.parallel=dip.tornado.Parallel -cp ... Main
 * </pre>
 */
public final class TornadoEngine implements Engine {

    /** The system property that tells TornadoVM which annotation marks a parallel loop variable. */
    static final String ANNOTATION_PROPERTY = "tornado.load.annotation.parallel";

    /** How to launch, for the error a misconfigured JVM gets. */
    static final String LAUNCH_HINT = "launch with: java @$TORNADOVM_HOME/tornado-argfile -D" + ANNOTATION_PROPERTY
            + "=" + dip.tornado.Parallel.class.getName() + " -cp <classpath> <main> ..."
            + " (TornadoVM's JVM flags, then the project's @Parallel; see docs/tornadovm.md)";

    private final JavaEngine cpu;
    private final boolean residentWeights;
    private final TornadoDevice device;
    private final Map<PlanKey, Plan> plans = new HashMap<>();
    private int graphCount;                                         // names graphs "matmul0", "matmul1", ...

    /** Weights resident on the device after the first call: for inference (sampling), where weights never change. */
    public TornadoEngine() {
        this(true);
    }

    /**
     * @param residentWeights true: weights (W, b) are copied to the device on a plan's first call only
     *                        ({@code FIRST_EXECUTION}), so host-side updates after that are NOT seen; use it when
     *                        weights are fixed (sampling). false: weights are copied on every call (training, where
     *                        the optimizer changes them on the host between steps).
     * @throws IllegalStateException when the TornadoVM runtime cannot be loaded or finds no device, or when TornadoVM
     *                               is not told to read {@code dip.tornado.Parallel} (without it TornadoVM does not
     *                               see the kernels' parallel loops); the message says how to launch
     */
    public TornadoEngine(boolean residentWeights) {
        String annotation = System.getProperty(ANNOTATION_PROPERTY);
        if (!dip.tornado.Parallel.class.getName().equals(annotation)) {
            throw new IllegalStateException((annotation == null ? "-D" + ANNOTATION_PROPERTY + " is not set"
                    : "-D" + ANNOTATION_PROPERTY + "=" + annotation + " names another annotation")
                    + ", so TornadoVM would not see the kernels' @Parallel loops; " + LAUNCH_HINT);
        }
        TornadoDevice dev;
        try {
            dev = TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice();
        } catch (Throwable e) {                  // NoClassDefFoundError, ExceptionInInitializerError, runtime errors
            throw new IllegalStateException("TornadoVM runtime not usable (" + e + "); " + LAUNCH_HINT, e);
        }
        if (dev == null) throw new IllegalStateException("TornadoVM found no device; " + LAUNCH_HINT);
        this.device = dev;
        this.residentWeights = residentWeights;
        this.cpu = new JavaEngine();
    }

    @Override public String name() { return "tornado"; }

    /** The CPU engine's threads: they run {@link #parallelFor}. Matmuls run on the device. */
    @Override public int threads() { return cpu.threads(); }

    /** The device TornadoVM runs on, as TornadoVM names it (e.g. "pthread-skylake-avx512-AMD EPYC ..."). */
    public String deviceName() {
        return device.getPhysicalDevice().getDeviceName();
    }

    /** Number of execution plans built so far (one per distinct call site). */
    public synchronized int plans() {
        return plans.size();
    }

    /** Generic kernels run on the CPU for now; see the class comment. */
    @Override
    public void parallelFor(int n, RangeBody body) {
        cpu.parallelFor(n, body);
    }

    @Override
    public synchronized void matmulForward(float[] out, float[] x, float[] w, float[] b, int R, int IN, int OUT) {
        if (R == 0) return;
        plans.computeIfAbsent(new PlanKey("forward", out, x, w, b, R, IN, OUT), k -> {
            TaskGraph g = new TaskGraph(nextGraphName());
            g.transferToDevice(weightMode(), w, b);
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, x);
            g.task("forward", MatmulKernels::matmulForward, out, x, w, b, 0, R, IN, OUT);
            g.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
            return new Plan(executionPlan(g), out, R * OUT);
        }).run();
    }

    @Override
    public synchronized void matmulBackwardInput(float[] dx, float[] dout, float[] w, int R, int IN, int OUT) {
        if (R == 0) return;
        plans.computeIfAbsent(new PlanKey("backwardInput", dx, dout, w, null, R, IN, OUT), k -> {
            TaskGraph g = new TaskGraph(nextGraphName());
            g.transferToDevice(weightMode(), w);
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, dx, dout);      // dx: accumulated into
            g.task("backwardInput", MatmulKernels::matmulBackwardInput, dx, dout, w, 0, R, IN, OUT);
            g.transferToHost(DataTransferMode.EVERY_EXECUTION, dx);
            return new Plan(executionPlan(g), null, 0);
        }).run();
    }

    @Override
    public synchronized void matmulBackwardWeight(float[] dw, float[] db, float[] dout, float[] x, int R, int IN, int OUT) {
        if (R == 0 || OUT == 0) return;
        plans.computeIfAbsent(new PlanKey("backwardWeight", dw, db, dout, x, R, IN, OUT), k -> {
            TaskGraph g = new TaskGraph(nextGraphName());
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, dw, db, dout, x); // dw, db: accumulated into
            g.task("backwardWeight", MatmulKernels::matmulBackwardWeight, dw, db, dout, x, 0, OUT, R, IN, OUT);
            g.transferToHost(DataTransferMode.EVERY_EXECUTION, dw, db);
            return new Plan(executionPlan(g), null, 0);
        }).run();
    }

    /** Frees every plan's device memory and stops the CPU engine's threads. */
    @Override
    public synchronized void close() {
        RuntimeException first = null;
        for (Plan p : plans.values()) {
            try {
                p.exec.close();
            } catch (Exception e) {
                if (first == null) first = new IllegalStateException("freeing TornadoVM device memory failed", e);
            }
        }
        plans.clear();
        cpu.close();
        if (first != null) throw first;
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    private int weightMode() {
        return residentWeights ? DataTransferMode.FIRST_EXECUTION : DataTransferMode.EVERY_EXECUTION;
    }

    private String nextGraphName() {
        return "matmul" + graphCount++;
    }

    private TornadoExecutionPlan executionPlan(TaskGraph g) {
        ImmutableTaskGraph itg = g.snapshot();
        return new TornadoExecutionPlan(itg).withDevice(device);
    }

    /**
     * A call site: arrays compare by identity (a record's equals calls Object.equals, which for arrays is ==),
     * so the same layer buffers with the same shape find the same plan.
     */
    private record PlanKey(String op, Object a0, Object a1, Object a2, Object a3, int R, int IN, int OUT) {
    }

    /** An execution plan, and for a write-only output longer than what the kernel writes, its kept tail. */
    private static final class Plan {
        final TornadoExecutionPlan exec;
        private final float[] out, tail;           // tail: out[written..] saved before the run, restored after
        private final int written;

        Plan(TornadoExecutionPlan exec, float[] out, int written) {
            this.exec = exec;
            this.out = out;
            this.written = written;
            this.tail = out != null && out.length > written ? new float[out.length - written] : null;
        }

        void run() {
            if (tail != null) System.arraycopy(out, written, tail, 0, tail.length);
            exec.execute();
            if (tail != null) System.arraycopy(tail, 0, out, written, tail.length);
        }
    }
}
