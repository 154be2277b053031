package dip.tornado.exec.tornadovm;

// The TornadoVM engine: records passes of kernel calls as TaskGraphs of the very same kernel methods and replays
// them with every array resident on the device. Compiled only by the `tornadovm` Maven profile (TORNADOVM_HOME
// set), like everything that imports uk.ac.manchester.tornado.*. It holds no math of its own.

import dip.tornado.exec.DeviceCounters;
import dip.tornado.exec.Engine;
import dip.tornado.exec.JavaEngine;
import dip.tornado.exec.Pass;
import dip.tornado.exec.RangeBody;
import dip.tornado.kernels.ActivationKernels;
import dip.tornado.kernels.AdaLnKernels;
import dip.tornado.kernels.AttentionKernels;
import dip.tornado.kernels.ChannelKernels;
import dip.tornado.kernels.ConvKernels;
import dip.tornado.kernels.ConvTransposeKernels;
import dip.tornado.kernels.ElementwiseKernels;
import dip.tornado.kernels.EmbedKernels;
import dip.tornado.kernels.FlowKernels;
import dip.tornado.kernels.LossKernels;
import dip.tornado.kernels.MatmulKernels;
import dip.tornado.kernels.NormKernels;
import dip.tornado.kernels.OptimizerKernels;
import dip.tornado.kernels.PatchKernels;
import dip.tornado.kernels.PoolKernels;
import dip.tornado.kernels.RopeKernels;
import dip.tornado.kernels.SwigluKernels;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoProfilerResult;
import uk.ac.manchester.tornado.api.common.TaskPackage;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * Runs {@link Pass}es on TornadoVM's default device. The first run of a pass records its kernel calls (each typed
 * {@link Engine} method becomes one task of the same kernel method over its whole range, {@code r0 = 0}); the
 * recording becomes one {@link TornadoExecutionPlan} of several TaskGraphs, compiled once; every later run replays
 * it. Calls outside a pass run on the host ({@link JavaEngine}), after copying back anything a pass left newer on
 * the device.
 * <pre>
 *   plan "train" (one training step of MICRO: 350 tasks)
 *     upload.0..k   host ──weights, AdamW moments, EMA, constants──▶ device   (first run, and after upload())
 *     step.0        host ──x₀, ε, t, y, hp (EVERY_EXECUTION)──▶ device; interpolate, target, patchify, ...
 *     step.1..n     as many tasks as fit 1,024 nodes; every array consumed from the graph that first holds it
 *     step.n        ... loss, grad-norm partial sums; ──loss, norm──▶ host (EVERY_EXECUTION)
 *     download.0..k device ──weights, moments, EMA──▶ host                    (only on download(): checkpoints)
 * </pre>
 * How each array travels follows from the recording alone:
 * <ul>
 *   <li><b>inputs</b> ({@link Pass#in()}): sent on every run by the first graph that uses them;</li>
 *   <li><b>carried</b> (first touched by a read: weights, moments, the sampler's state): sent by the upload graphs
 *       on the first run and again only when they are stale (the host changed them, or another pass wrote them);</li>
 *   <li><b>reloads</b> ({@link Pass#reloads()}: carried state the host sets anew, a sampler's x_t): sent by a load
 *       graph outside the chain, run before the chain only when the host changed them; the chain's graph that first
 *       uses one reads it from the load graph by name ({@code consumeFromDevice(name, ...)});</li>
 *   <li><b>temporaries</b> (first touched by a write: activations, gradients, zeroed buffers): never sent after the
 *       one-time allocation, never copied back;</li>
 *   <li><b>outputs</b> ({@link Pass#out()}): copied back on every run by the last graph that uses them;</li>
 *   <li><b>carried and written</b> (the state a pass advances): copied back only by {@link #download}.</li>
 * </ul>
 * A version number per array says which copy is newest, so several passes can share weights (training and the
 * preview sampler) and the host never reads a stale copy.
 *
 * <p>TornadoVM limits a TaskGraph to 1,024 nodes, so a pass is cut into as few graphs as fit: the engine counts the
 * nodes TornadoVM will make for each graph ({@link #GRAPH_NODES}) and cuts before the count would pass it
 * (GPULlama3 cuts per layer; a cut by node count fits any model), and its bytecode buffer must be raised
 * ({@code -Dtornado.tvm.maxbytecodesize}, set by this engine when the launcher did not). Kernel arguments must not
 * alias (TornadoVM's graph scheduler never returns on a task given the same array twice): recording refuses it.
 *
 * <p>Launch with TornadoVM's JVM flags from the SDK's argfile, then point TornadoVM at the project's annotation:
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

    /**
     * What one TaskGraph may hold, limits TornadoVM 5.2 cannot raise: 1,024 nodes in its graph ("Graph resize not
     * implemented") and 8,192 bytes of task list (a BufferOverflowException).
     */
    static final int GRAPH_NODES = 1024, GRAPH_CODE_BYTES = 8192;

    /** System property: "true" turns on TornadoVM's profiler, which {@link Stats} reads kernel times from. */
    public static final String PROFILE_PROPERTY = "dip.tornado.profile";

    /** System properties that override the graph cut (read when a plan is built; tests use small values). */
    public static final String MAX_TASKS_PROPERTY = "dip.tornado.maxTasks", GRAPH_NODES_PROPERTY = "dip.tornado.graphNodes";

    private final JavaEngine cpu;
    private final TornadoDevice device;
    private final Map<String, Recording> passes = new HashMap<>();
    private final Map<Object, Long> version = new IdentityHashMap<>();     // bumped whenever an array changes
    private final Map<Object, Recording> newest = new IdentityHashMap<>(); // the pass whose device copy is newest
    private final Stats stats = new Stats();
    private Recording recording;          // non-null while a pass's first run records its calls
    private Recording replaying;           // non-null while a recorded pass's body is checked against its recording
    private int cursor;                   // next call of the replayed recording
    private boolean profiling = Boolean.getBoolean(PROFILE_PROPERTY);    // TornadoVM's profiler on new and built plans

    /** Starts the engine on TornadoVM's default device. */
    public TornadoEngine() {
        String annotation = System.getProperty(ANNOTATION_PROPERTY);
        if (!dip.tornado.Parallel.class.getName().equals(annotation)) {
            throw new IllegalStateException((annotation == null ? "-D" + ANNOTATION_PROPERTY + " is not set"
                    : "-D" + ANNOTATION_PROPERTY + "=" + annotation + " names another annotation")
                    + ", so TornadoVM would not see the kernels' @Parallel loops; " + LAUNCH_HINT);
        }
        if (System.getProperty("tornado.tvm.maxbytecodesize") == null) {
            System.setProperty("tornado.tvm.maxbytecodesize", "262144");
        }
        TornadoDevice dev;
        try {
            dev = TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice();
        } catch (Throwable e) {                  // NoClassDefFoundError, ExceptionInInitializerError, runtime errors
            throw new IllegalStateException("TornadoVM runtime not usable (" + e + "); " + LAUNCH_HINT, e);
        }
        if (dev == null) {
            throw new IllegalStateException("TornadoVM found no device: install an OpenCL or CUDA driver (check with"
                    + " `tornado --devices`), or use --engine java");
        }
        this.device = dev;
        this.cpu = new JavaEngine();
    }

    @Override public String name() { return "tornado"; }

    /** The CPU engine's threads: they run calls made outside a pass. */
    @Override public int threads() { return cpu.threads(); }

    /** The device TornadoVM runs on, as TornadoVM names it (e.g. "pthread-skylake-avx512-AMD EPYC ..."). */
    public String deviceName() {
        return device.getPhysicalDevice().getDeviceName();
    }

    /** The device's global memory in bytes. */
    public long deviceMemory() {
        return device.getPhysicalDevice().getDeviceGlobalMemorySize();
    }

    /** System property: MiB of device memory this engine may use (default: all of it), e.g. on a shared GPU. */
    public static final String MEMORY_LIMIT = "dip.tornado.memoryLimitMiB";

    private long usableMemory() {
        long limit = Long.getLong(MEMORY_LIMIT, Long.MAX_VALUE >> 20);
        return Math.min(deviceMemory(), limit << 20);
    }

    /** Counters since the engine started (or since {@link Stats#reset}): graph runs, bytes each way, times. */
    public Stats stats() { return stats; }

    @Override
    public synchronized DeviceCounters counters() {
        return new DeviceCounters(stats.passRuns, stats.graphRuns(), stats.rebuilds, stats.bytesIn, stats.bytesOut,
                stats.kernelNanos, stats.totalNanos);
    }

    @Override
    public synchronized void profile(boolean on) {
        profiling = on;
        for (Recording r : passes.values()) r.profile(on);
    }

    /** Number of passes recorded so far. */
    public synchronized int plans() { return passes.size(); }

    /** Host work ({@link #parallelFor} is never a device call: kernels reach the device through the typed methods). */
    @Override
    public void parallelFor(int n, RangeBody body) {
        cpu.parallelFor(n, body);
    }

    // ------------------------------------------------------------------------------------------------ passes

    @Override
    public synchronized void run(Pass pass) {
        if (recording != null || replaying != null) {
            throw new IllegalStateException("pass " + pass.name() + " started inside pass "
                    + (recording != null ? recording.name : replaying.name) + ": passes do not nest");
        }
        Recording r = passes.get(pass.name());
        if (r != null && !replays(r, pass)) {
            // Another pass under this name (another model, batch or array set, e.g. a second TrainLoop): its
            // recording is dropped, after copying back what it keeps, and this one recorded and compiled anew.
            r.retire();
            passes.remove(pass.name());
            stats.rerecords++;
            r = null;
        }
        if (r == null) {
            r = new Recording(pass.name(), pass.in(), pass.out(), pass.reloads());
            recording = r;
            try {
                pass.body().run();
            } finally {
                recording = null;
            }
            r.classify();
            retireSharing(r);
            passes.put(pass.name(), r);
        }
        r.execute();
    }

    /** Runs the pass's body against recording r: true when it makes the same calls on the same arrays. */
    private boolean replays(Recording r, Pass pass) {
        replaying = r;
        cursor = 0;
        try {
            pass.body().run();
            return cursor == r.calls.size();
        } catch (Changed e) {
            return false;
        } finally {
            replaying = null;
        }
    }

    /** Thrown by {@link #record} when a replayed pass makes another call than its recording. */
    private static final class Changed extends RuntimeException {
        Changed() {
            super(null, null, false, false);
        }
    }

    /**
     * TornadoVM keeps device buffers per execution plan and breaks when two plans hold the same Java array. Before
     * a new pass is built, every recorded pass that shares an array with it copies back what it keeps and is
     * dropped (it is recorded and compiled again if it runs again).
     */
    private void retireSharing(Recording fresh) {
        Set<Object> mine = identitySet(fresh.arrays.toArray());
        for (var it = passes.values().iterator(); it.hasNext(); ) {
            Recording old = it.next();
            boolean shares = false;
            for (Object a : old.arrays) if (mine.contains(a)) { shares = true; break; }
            if (shares) {
                old.retire();
                it.remove();
                stats.rebuilds++;
            }
        }
    }

    /** Copies back the arrays asked for that a pass holds newer on the device; only those, not all it keeps. */
    @Override
    public synchronized void download(Object... arrays) {
        Map<Recording, Set<Object>> byOwner = new IdentityHashMap<>();
        for (Object a : arrays) {
            Recording owner = newest.get(a);
            if (owner == null) continue;                          // the host copy is the newest
            if (!owner.kept.contains(a)) {
                throw new IllegalStateException("pass " + owner.name + " does not keep this array (it writes it"
                        + " before reading it: it is a temporary of the pass), so it cannot be downloaded");
            }
            byOwner.computeIfAbsent(owner, o -> identitySet(new Object[0])).add(a);
        }
        for (var e : byOwner.entrySet()) e.getKey().download(e.getValue());
    }

    @Override
    public synchronized void upload(Object... arrays) {
        for (Object a : arrays) {
            newest.remove(a);
            version.merge(a, 1L, Long::sum);
        }
    }

    /** Frees every plan's device memory and stops the CPU engine's threads. */
    @Override
    public synchronized void close() {
        RuntimeException first = null;
        for (Recording r : passes.values()) {
            try {
                r.closePlan();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        passes.clear();
        cpu.close();
        if (first != null) throw first;
    }

    /**
     * True when no pass is recording or replaying: the call then runs on the host, after the host copies of its
     * arrays are made current; its first {@code written} arrays count as changed by the host.
     */
    private boolean onHost(int written, Object... arrays) {
        if (recording != null || replaying != null) return false;
        download(arrays);
        upload(java.util.Arrays.copyOf(arrays, written));
        return true;
    }

    /** Adds one task to the pass being recorded, or checks it against the replayed recording. */
    private void record(String kernel, TaskMaker maker, int overwritten, int accumulated, Object... arrays) {
        for (int i = 0; i < arrays.length; i++) {
            for (int j = i + 1; j < arrays.length; j++) {
                if (arrays[i] == arrays[j]) {
                    throw new IllegalStateException(kernel + " in pass " + (recording != null ? recording.name
                            : replaying.name) + " gets the same array as arguments " + i + " and " + j
                            + ": TornadoVM cannot run a task with aliased arguments; give the output its own buffer");
                }
            }
        }
        Call call = Call.of(kernel, maker, overwritten, accumulated, arrays);
        if (recording != null) {
            recording.calls.add(call);
            return;
        }
        Recording r = replaying;
        Call c = cursor < r.calls.size() ? r.calls.get(cursor) : null;
        if (c == null || !c.same(call)) throw new Changed();
        cursor++;
    }

    /** Makes the TornadoVM task of one kernel call, under a given task name. */
    @FunctionalInterface
    private interface TaskMaker {
        TaskPackage make(String taskId);
    }

    /**
     * One recorded kernel call: its arrays (the first {@code overwritten} written whole, the next {@code accumulated}
     * added to, the rest read) and its scalar arguments, which a replay must repeat exactly.
     */
    private record Call(String kernel, TaskMaker maker, int overwritten, int accumulated, Object[] arrays, Object[] scalars) {
        static Call of(String kernel, TaskMaker maker, int overwritten, int accumulated, Object[] arrays) {
            Object[] params = maker.make(kernel).getTaskParameters();        // the kernel's method, then its arguments
            List<Object> scalars = new ArrayList<>();
            for (int i = 1; i < params.length; i++) if (!params[i].getClass().isArray()) scalars.add(params[i]);
            return new Call(kernel, maker, overwritten, accumulated, arrays, scalars.toArray());
        }

        boolean same(Call other) {
            if (!kernel.equals(other.kernel) || other.arrays.length != arrays.length) return false;
            for (int i = 0; i < arrays.length; i++) if (other.arrays[i] != arrays[i]) return false;
            return java.util.Arrays.equals(scalars, other.scalars);
        }

        /** Bytes of TornadoVM's task list this task takes: 15, and 5 per argument. */
        int taskListBytes() {
            return 15 + 5 * (arrays.length + scalars.length);
        }
    }

    private long versionOf(Object a) {
        return version.getOrDefault(a, 0L);
    }

    /**
     * One recorded pass and its execution plan: a chain of TaskGraphs run in order. TornadoVM hands a graph the
     * device buffers it consumes only from the graph executed just before it, so each graph consumes from its
     * predecessor, and persists for its successor, every array used both before and after it (the live set):
     * <pre>
     *   graph j:  consume(live(j-1)) · transfer(arrays first used here: inputs every run, the rest once)
     *             · tasks · copy back(outputs last used here) · persist(live(j)) · on demand(kept arrays last used here)
     * </pre>
     * A graph is cut before its node count would pass {@link #GRAPH_NODES} or its task list
     * {@link #GRAPH_CODE_BYTES}, and finer when TornadoVM still finds a graph too big while compiling the plan (before
     * anything runs).
     * Carried arrays go to the device once; when the host changes one later, the plan is rebuilt (compiled again).
     */
    private final class Recording {
        final String name;
        final Set<Object> in, out;
        final List<Object> reloads;                                 // carried state the host may set again (Pass)
        final List<Call> calls = new ArrayList<>();
        final List<Object> arrays = new ArrayList<>();                                    // first-touch order
        final Set<Object> carried = Collections.newSetFromMap(new IdentityHashMap<>());   // first touched by a read
        final Set<Object> written = Collections.newSetFromMap(new IdentityHashMap<>());
        final Set<Object> kept = Collections.newSetFromMap(new IdentityHashMap<>());      // carried and written
        final Map<Object, Long> sent = new IdentityHashMap<>();     // version of each carried array the plan holds
        TornadoExecutionPlan plan;
        final List<List<Object>> onDemand = new ArrayList<>();      // per graph: kept arrays it can copy back
        final List<uk.ac.manchester.tornado.api.TornadoExecutionResult> results = new ArrayList<>();
        long[] declaredIn, declaredOut, firstRunIn;
        List<int[]> graphCalls = List.of();                         // per graph: its calls [from, to)
        boolean profiled;                                           // the plan runs with TornadoVM's profiler
        final Set<Integer> ranOnce = new java.util.HashSet<>();

        final List<Object> staging = new ArrayList<>();             // host copies the load graph sends
        int loadGraph = -1;                                         // the load graph's index in the plan, or -1

        Recording(String name, Object[] in, Object[] out, Object[] reloads) {
            this.name = name;
            this.in = identitySet(in);
            this.out = identitySet(out);
            this.reloads = List.of(reloads);
        }

        void classify() {
            Set<Object> seenSet = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Call c : calls) {
                for (int i = 0; i < c.arrays.length; i++) {
                    Object a = c.arrays[i];
                    if (seenSet.add(a)) {
                        arrays.add(a);
                        if (i >= c.overwritten && !in.contains(a)) carried.add(a);
                    }
                    if (i < c.overwritten + c.accumulated) written.add(a);
                }
            }
            for (Object a : out) {
                if (!seenSet.contains(a)) throw new IllegalStateException("pass " + name + " declares an output it never touches");
            }
            for (Object a : carried) if (written.contains(a)) kept.add(a);
            for (Object a : reloads) {
                if (!carried.contains(a)) {
                    throw new IllegalStateException("pass " + name + " declares a reloadable array that it "
                            + (seenSet.contains(a) ? "writes before reading (a temporary) or takes as an input" : "never touches"));
                }
            }
        }

        /** Cuts the calls into graphs and builds the plan. */
        void build() {
            long need = bytesOf(arrays), have = usableMemory();
            if (have > 0 && need > have) {                        // TornadoVM would fail later, in an allocation
                throw new IllegalStateException("pass " + name + " needs " + (need >> 20) + " MiB on the device and "
                        + deviceName() + " has " + (have >> 20) + " MiB" + (have < deviceMemory() ? " (-D" + MEMORY_LIMIT
                        + ")" : "") + ": use a smaller --batch-size, or --engine java");
            }
            // cut() counts what TornadoVM 5.2 builds; should a graph still be too big for another version ("Graph
            // resize not implemented", or its task list overflowing), cut again with a smaller node budget.
            int maxTasks = Integer.getInteger(MAX_TASKS_PROPERTY, Integer.MAX_VALUE);
            int budget = Integer.getInteger(GRAPH_NODES_PROPERTY, GRAPH_NODES);
            while (true) {
                try {
                    cut(maxTasks, budget);                        // TornadoVM writes the task list here
                    plan.withPreCompilation();                    // and builds each graph here
                    break;
                } catch (RuntimeException | Error e) {
                    boolean tooBig = String.valueOf(e.getMessage()).contains("resize")
                            || e instanceof java.nio.BufferOverflowException;
                    if (!tooBig || budget < 256) throw e;
                    closePlan();
                    stats.recuts++;
                    budget = budget * 3 / 4;
                }
            }
            ranOnce.clear();
            for (Object a : carried) sent.put(a, versionOf(a));
            stats.tasks += calls.size();
            stats.graphs += graphCalls.size();
        }

        /**
         * Cuts the calls into graphs that TornadoVM can hold, each as large as it can be, and makes the plan. A graph
         * ends before a call that would take it past maxTasks tasks, maxNodes nodes or {@link #GRAPH_CODE_BYTES}.
         * The nodes are counted as TornadoVM's graph builder makes them: one per distinct scalar value, one per
         * array the graph knows (used by its tasks, or passed through to a later graph), two more per array its
         * tasks use (a transfer or allocation, and a release or persist), two per task, one per argument a task
         * writes, one per array copied back, and one for the device. The task list takes 15 bytes per task and 5
         * per argument.
         */
        private void cut(int maxTasks, int maxNodes) {
            Map<Object, Integer> lastCall = new IdentityHashMap<>();
            for (int ci = 0; ci < calls.size(); ci++) for (Object a : calls.get(ci).arrays) lastCall.put(a, ci);
            List<int[]> cuts = new ArrayList<>();
            Set<Object> live = Collections.newSetFromMap(new IdentityHashMap<>());    // from earlier graphs, used later
            Set<Object> used = Collections.newSetFromMap(new IdentityHashMap<>());    // by the current graph's tasks
            Set<Object> scalars = new java.util.HashSet<>();                           // TornadoVM keeps equal ones once
            int start = 0, writes = 0, outs = 0, code = 0;
            for (int ci = 0; ci < calls.size(); ci++) {
                Call c = calls.get(ci);
                int newArrays = 0, newOuts = 0, passedThrough = 0;
                for (Object a : c.arrays) {
                    if (used.contains(a)) continue;
                    newArrays++;
                    if (out.contains(a)) newOuts++;
                    if (live.contains(a)) passedThrough--;                             // was passed through, now used
                }
                for (Object a : live) if (!used.contains(a)) passedThrough++;
                Set<Object> newScalars = new java.util.HashSet<>(List.of(c.scalars));
                newScalars.removeAll(scalars);
                // the current graph with call ci added
                int distinctScalars = scalars.size() + newScalars.size(), arrays = used.size() + newArrays;
                int tasks = ci - start + 1, writtenArgs = writes + c.overwritten + c.accumulated;
                int nodes = distinctScalars + (arrays + passedThrough) + 2 * arrays + 2 * tasks + writtenArgs
                        + (outs + newOuts) + 1;
                int bytes = code + c.taskListBytes();
                if (ci > start && (ci - start >= maxTasks || nodes > maxNodes || bytes > GRAPH_CODE_BYTES)) {
                    cuts.add(new int[] {start, ci});
                    live.addAll(used);
                    final int cut = ci;
                    live.removeIf(a -> lastCall.get(a) < cut);
                    start = ci;
                    used.clear();
                    scalars.clear();
                    writes = outs = code = 0;
                    for (Object a : c.arrays) if (out.contains(a)) outs++;
                } else {
                    outs += newOuts;
                }
                Collections.addAll(used, c.arrays);
                Collections.addAll(scalars, c.scalars);
                writes += c.overwritten + c.accumulated;
                code += c.taskListBytes();
            }
            cuts.add(new int[] {start, calls.size()});
            graphCalls = cuts;

            Map<Object, Integer> firstGraph = new IdentityHashMap<>(), lastGraph = new IdentityHashMap<>();
            for (int gi = 0; gi < cuts.size(); gi++) {
                for (int ci = cuts.get(gi)[0]; ci < cuts.get(gi)[1]; ci++) {
                    for (Object a : calls.get(ci).arrays) {
                        firstGraph.putIfAbsent(a, gi);
                        lastGraph.put(a, gi);
                    }
                }
            }
            List<TaskGraph> graphs = new ArrayList<>();
            List<long[]> bytes = new ArrayList<>();
            onDemand.clear();                                     // (a cut that failed half way may have left some)
            results.clear();
            for (int gi = 0; gi < cuts.size(); gi++) {
                final int g = gi;
                TaskGraph tg = new TaskGraph(graphName("g" + gi));
                List<Object> consume = new ArrayList<>(), everyRun = new ArrayList<>(), once = new ArrayList<>();
                List<Object> persist = new ArrayList<>(), back = new ArrayList<>(), demand = new ArrayList<>();
                List<Object> fromLoad = new ArrayList<>();
                for (Object a : arrays) {
                    int f = firstGraph.get(a), l = lastGraph.get(a);
                    boolean usedHere = false;
                    for (int ci = cuts.get(g)[0]; ci < cuts.get(g)[1] && !usedHere; ci++) {
                        for (Object b : calls.get(ci).arrays) if (b == a) { usedHere = true; break; }
                    }
                    boolean alive = f <= g && l >= g && (usedHere || (f < g && l > g));
                    if (!alive) continue;
                    if (f == g) (in.contains(a) ? everyRun : reloads.contains(a) ? fromLoad : once).add(a);
                    else consume.add(a);
                    if (l > g) persist.add(a);
                    if (l == g && out.contains(a)) back.add(a);
                    if (l == g && kept.contains(a)) demand.add(a);
                }
                if (!consume.isEmpty()) tg.consumeFromDevice(consume.toArray());
                if (!fromLoad.isEmpty()) tg.consumeFromDevice(loadName(), fromLoad.toArray());
                if (!everyRun.isEmpty()) tg.transferToDevice(DataTransferMode.EVERY_EXECUTION, everyRun.toArray());
                if (!once.isEmpty()) tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray());
                for (int ci = cuts.get(g)[0]; ci < cuts.get(g)[1]; ci++) tg.addTask(calls.get(ci).maker.make(calls.get(ci).kernel + "_" + ci));
                if (!persist.isEmpty()) tg.persistOnDevice(persist.toArray());
                if (!back.isEmpty()) tg.transferToHost(DataTransferMode.EVERY_EXECUTION, back.toArray());
                if (!demand.isEmpty()) tg.transferToHost(DataTransferMode.UNDER_DEMAND, demand.toArray());
                graphs.add(tg);
                onDemand.add(demand);
                results.add(null);
                List<Object> carriedOnce = once.stream().filter(carried::contains).toList();
                bytes.add(new long[] {bytesOf(everyRun), bytesOf(back), bytesOf(once), bytesOf(carriedOnce)});
            }
            declaredIn = bytes.stream().mapToLong(b -> b[0]).toArray();
            declaredOut = bytes.stream().mapToLong(b -> b[1]).toArray();
            firstRunIn = bytes.stream().mapToLong(b -> b[2]).toArray();
            loadGraph = -1;
            staging.clear();
            if (!reloads.isEmpty()) {                   // after the chain, so the chain's graph numbers stay 0..k−1
                loadGraph = graphs.size();
                graphs.add(loadGraph());
            }
            plan = new TornadoExecutionPlan(graphs.stream().map(TaskGraph::snapshot)
                    .toArray(uk.ac.manchester.tornado.api.ImmutableTaskGraph[]::new))
                    .withDevice(device);
            // TornadoVM's profiler makes its OpenCL scheduler wait for every kernel's event as it is submitted, so it
            // costs time: on only when asked (dip bench engines asks, to report kernel time).
            profile(profiling);
        }

        /** TornadoVM's profiler on or off for this pass's plan (kept for the plans it builds later). */
        void profile(boolean on) {
            profiled = on;
            if (plan == null) return;
            if (on) plan.withProfiler(ProfilerMode.SILENT);
            else plan.withoutProfiler();
        }

        private String loadName() {
            return graphName("load");
        }

        /** A TaskGraph name for this pass: its name in the characters TornadoVM accepts, then a suffix. */
        private String graphName(String suffix) {
            return name.replaceAll("[^A-Za-z0-9_]", "_") + "_" + suffix;
        }

        /**
         * The load graph: sends a host copy of each reloadable array (every time it runs) and copies it into the
         * array's device buffer, which it persists; the chain's graph that first uses the array consumes it from this
         * graph by name. TornadoVM runs no graph without a task, hence the copy kernel and the staging copy.
         */
        private TaskGraph loadGraph() {
            TaskGraph tg = new TaskGraph(loadName());
            for (Object a : reloads) {
                staging.add(a instanceof float[] f ? new float[f.length] : new int[((int[]) a).length]);
            }
            tg.transferToDevice(DataTransferMode.EVERY_EXECUTION, staging.toArray());
            for (int i = 0; i < reloads.size(); i++) {
                Object a = reloads.get(i), s = staging.get(i);
                if (a instanceof float[] f) {
                    tg.task("load_" + i, ElementwiseKernels::copy, f, (float[]) s, 0, f.length);
                } else {
                    int[] y = (int[]) a;
                    tg.task("load_" + i, ElementwiseKernels::copySliceInt, y, 0, (int[]) s, 0, 0, y.length);
                }
            }
            return tg.persistOnDevice(reloads.toArray());
        }

        /** Sends the host's reloadable arrays to the device through the load graph. */
        private void reload() {
            for (int i = 0; i < reloads.size(); i++) {
                Object a = reloads.get(i), s = staging.get(i);
                System.arraycopy(a, 0, s, 0, java.lang.reflect.Array.getLength(a));
            }
            uk.ac.manchester.tornado.api.TornadoExecutionResult res;
            try {
                res = plan.withGraph(loadGraph).execute();
            } catch (RuntimeException | Error e) {
                throw deviceFailure(name + " (sending " + reloads.size() + " reloaded arrays)", e);
            }
            stats.add(Kind.UPLOAD, bytesOf(reloads), 0, profiled ? res.getProfilerResult() : null);
            for (Object a : reloads) sent.put(a, versionOf(a));
        }

        /**
         * Runs the chain. When the host changed a carried array since the plan sent it: a reloadable one goes through
         * the load graph; any other makes it rebuild the plan (compiled again, everything sent again).
         */
        void execute() {
            for (Object a : carried) {
                Recording o = newest.get(a);
                if (o != null && o != this) o.download();                    // another pass holds a newer copy
            }
            boolean reload = false;
            if (plan != null) {
                for (Object a : carried) {
                    Long s = sent.get(a);
                    if (newest.get(a) != this && (s == null || s != versionOf(a))) {
                        if (reloads.contains(a)) {
                            reload = true;                                   // the host changed it: send it alone
                            continue;
                        }
                        closePlan();                                          // the host changed it: send again
                        stats.rebuilds++;
                        break;
                    }
                }
            }
            if (plan == null) {
                try {
                    build();
                } catch (IllegalStateException e) {                         // this engine's own refusal
                    throw e;
                } catch (RuntimeException | Error e) {
                    throw compileFailure(e, 0, calls.size());
                }
                reload = loadGraph >= 0;
            }
            if (reload) reload();
            for (int g = 0; g < results.size(); g++) {
                uk.ac.manchester.tornado.api.TornadoExecutionResult res;
                try {
                    res = plan.withGraph(g).execute();
                } catch (RuntimeException | Error e) {
                    if (!ranOnce.contains(g) && !outOfMemory(e)) {                // compiled on its first run
                        throw compileFailure(e, graphCalls.get(g)[0], graphCalls.get(g)[1]);
                    }
                    throw deviceFailure(name + " (graph " + g + " of " + results.size() + ")", e);
                }
                results.set(g, res);
                long inBytes = declaredIn[g] + (ranOnce.add(g) ? firstRunIn[g] : 0);
                // (without the profiler, TornadoVM answers every profiler query with a console line: ask only when on)
                stats.add(Kind.STEP, inBytes, declaredOut[g], profiled ? res.getProfilerResult() : null);
                if (profiled && Boolean.getBoolean("dip.tornado.profileLog")) System.err.println(res.getProfilerResult().getProfileLog());
            }
            for (Object a : written) {
                long v = versionOf(a) + 1;
                version.put(a, v);
                if (carried.contains(a)) sent.put(a, v);
                newest.put(a, this);
            }
            for (Object a : out) newest.remove(a);                           // copied back by this run
            stats.passRuns++;
        }

        /**
         * TornadoVM compiles a graph's tasks together and its exception does not say which kernel failed: build
         * each distinct kernel alone until one fails the same way, so the message can name it.
         */
        RuntimeException compileFailure(Throwable e, int from, int to) {
            String culprit = null;
            Set<String> tried = new java.util.HashSet<>();
            for (int ci = from; ci < to && culprit == null; ci++) {
                Call c = calls.get(ci);
                if (!tried.add(c.kernel)) continue;
                try {
                    TaskGraph tg = new TaskGraph("probe_" + ci);
                    tg.transferToDevice(DataTransferMode.FIRST_EXECUTION, c.arrays);
                    tg.addTask(c.maker.make(c.kernel + "_probe"));
                    try (TornadoExecutionPlan p = new TornadoExecutionPlan(tg.snapshot()).withDevice(device)) {
                        p.withPreCompilation();
                    }
                } catch (Throwable probe) {
                    if (probe.getClass() == e.getClass()) culprit = c.kernel;
                }
            }
            return new IllegalStateException("TornadoVM could not compile " + (culprit == null ? "a kernel" : "kernel "
                    + culprit) + " of pass " + name + " for " + deviceName() + " (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + "); use --engine java, and report it with the kernel's name", e);
        }

        /** Copies every kept array back to the host (TornadoVM's on-demand transfers of the last run). */
        void download() {
            download(kept);
        }

        /**
         * Copies back the kept arrays among {@code wanted} whose newest copy is this pass's; the rest stay newer on
         * the device. An array the host changed since (uploaded), or another pass wrote, is never overwritten.
         */
        void download(Set<Object> wanted) {
            for (int g = 0; g < onDemand.size(); g++) {
                List<Object> list = onDemand.get(g).stream().filter(a -> wanted.contains(a) && newest.get(a) == this).toList();
                if (list.isEmpty() || results.get(g) == null) continue;
                try {
                    // A result's transferToHost syncs the graphs its plan has selected, which is the last one run:
                    // select graph g first, or the arrays only it declares would silently stay on the device.
                    plan.withGraph(g);
                    results.get(g).transferToHost(list.toArray());
                } catch (RuntimeException | Error e) {
                    throw deviceFailure(name + " (copying back)", e);
                }
                stats.downloadRuns++;
                stats.downloadBytes += bytesOf(list);
                stats.bytesOut += bytesOf(list);
            }
            for (Object a : kept) if (wanted.contains(a) && newest.get(a) == this) newest.remove(a);
        }

        /** The kept state back to the host, the device memory freed. */
        void retire() {
            download();
            for (Object a : arrays) if (newest.get(a) == this) newest.remove(a);
            closePlan();
        }

        void closePlan() {
            if (plan == null) return;
            try {
                plan.close();
            } catch (Exception e) {
                throw new IllegalStateException("freeing the device memory of pass " + name + " failed", e);
            } finally {
                plan = null;
                onDemand.clear();
                results.clear();
            }
        }
    }

    /** Turns a TornadoVM failure into one line that says what to do. */
    private RuntimeException deviceFailure(String pass, Throwable e) {
        if (outOfMemory(e)) {
            return new IllegalStateException("the device (" + deviceName() + ", " + (deviceMemory() >> 20)
                    + " MiB) ran out of memory running pass " + pass + ": use a smaller --batch-size, or --engine java", e);
        }
        return new IllegalStateException("pass " + pass + " failed on " + deviceName() + ": " + e, e);
    }

    private static boolean outOfMemory(Throwable e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return m.contains("out of memory") || m.contains("outofmemory") || e.getClass().getName().contains("OutOfMemory")
                || m.contains("memory limit");
    }

    /** Bytes of the float and int arrays in the list (what a transfer of them moves). */
    static long bytesOf(List<Object> arrays) {
        long n = 0;
        for (Object a : arrays) n += a instanceof float[] f ? 4L * f.length : a instanceof int[] i ? 4L * i.length : 0;
        return n;
    }

    private static Set<Object> identitySet(Object[] arrays) {
        Set<Object> s = Collections.newSetFromMap(new IdentityHashMap<>());
        Collections.addAll(s, arrays);
        return s;
    }

    /** An array as a map key by identity, for insertion-ordered maps. */
    private record Ref(Object a) {
        @Override public boolean equals(Object o) { return o instanceof Ref r && r.a == a; }
        @Override public int hashCode() { return System.identityHashCode(a); }
    }

    enum Kind { UPLOAD, STEP, OUTPUT, DOWNLOAD }

    /**
     * What crossed the bus and how long the device worked. Bytes are this engine's own accounting of the transfers
     * its graphs declare (TornadoVM's profiler counts each every-run copy-in twice and first-run copies not at all,
     * so its figures are kept apart, in profilerBytesIn/Out); times come from TornadoVM's profiler.
     */
    public static final class Stats {
        public long uploadRuns, stepRuns, outputRuns, downloadRuns, passRuns, tasks, graphs, rebuilds, rerecords;
        /** Plans cut again because TornadoVM still found a graph too big (0 while the engine's count is right). */
        public long recuts;
        public long bytesIn, bytesOut, uploadBytes, downloadBytes, profilerBytesIn, profilerBytesOut;
        public long kernelNanos, totalNanos;

        void add(Kind kind, long in, long out, TornadoProfilerResult p) {
            switch (kind) {
                case UPLOAD -> { uploadRuns++; uploadBytes += in; }
                case DOWNLOAD -> { downloadRuns++; downloadBytes += out; }
                case OUTPUT -> outputRuns++;
                default -> stepRuns++;
            }
            bytesIn += in;
            bytesOut += out;
            if (p == null) return;                                  // no profiler: no kernel times
            profilerBytesIn += p.getTotalBytesCopyIn();
            profilerBytesOut += p.getTotalBytesCopyOut();
            kernelNanos += Math.max(0, p.getDeviceKernelTime());
            totalNanos += Math.max(0, p.getTotalTime());
        }

        /** Graph executions of every kind. */
        public long graphRuns() { return uploadRuns + stepRuns + outputRuns + downloadRuns; }

        public void reset() {
            uploadRuns = stepRuns = outputRuns = downloadRuns = passRuns = 0;
            bytesIn = bytesOut = uploadBytes = downloadBytes = profilerBytesIn = profilerBytesOut = 0;
            kernelNanos = totalNanos = 0;
        }

        /** A copy, to subtract from a later reading. */
        public Stats copy() {
            Stats s = new Stats();
            s.uploadRuns = uploadRuns; s.stepRuns = stepRuns; s.outputRuns = outputRuns; s.rebuilds = rebuilds; s.rerecords = rerecords; s.downloadRuns = downloadRuns; s.passRuns = passRuns;
            s.tasks = tasks; s.graphs = graphs; s.recuts = recuts; s.bytesIn = bytesIn; s.bytesOut = bytesOut; s.uploadBytes = uploadBytes;
            s.downloadBytes = downloadBytes; s.profilerBytesIn = profilerBytesIn; s.profilerBytesOut = profilerBytesOut;
            s.kernelNanos = kernelNanos; s.totalNanos = totalNanos;
            return s;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d pass runs, %d graph runs (%d upload, %d step, %d output, %d download), "
                    + "%,d B in, %,d B out, kernels %.1f ms of %.1f ms in TornadoVM", passRuns, graphRuns(),
                    uploadRuns, stepRuns, outputRuns, downloadRuns, bytesIn, bytesOut, kernelNanos / 1e6, totalNanos / 1e6);
        }
    }

    // ------------------------------------------------------------------------------------------------ kernels
    // One override per Engine method: outside a pass the host runs it; inside, it becomes a task of the same
    // kernel over its whole range. The two counts say how many leading arrays the kernel overwrites, then
    // accumulates into; the rest it reads.

    @Override
    public void attentionBackward(float[] dq, float[] dk, float[] dv, float[] dpre, float[] dout, float[] q, float[] k,
                                  float[] v, float[] att, int BH, int N, int HS, float scale) {
        if (onHost(4, dq, dk, dv, dpre, dout, q, k, v, att)) {
            cpu.attentionBackward(dq, dk, dv, dpre, dout, q, k, v, att, BH, N, HS, scale);
            return;
        }
        int R = BH * N;
        if (R == 0) return;
        record("headDots", id -> TaskPackage.createPackage(id, AttentionKernels::headDots,
                dpre, dout, v, 0, R, N, HS, 1f), 1, 0, dpre, dout, v);
        record("softmaxBackwardRows", id -> TaskPackage.createPackage(id, AttentionKernels::softmaxBackwardRows,
                dpre, att, 0, R, N), 0, 1, dpre, att);
        record("headWeightedSum", id -> TaskPackage.createPackage(id, AttentionKernels::headWeightedSum,
                dq, dpre, k, 0, R, N, HS, scale), 1, 0, dq, dpre, k);
        record("attentionBackwardKeyValue", id -> TaskPackage.createPackage(id, AttentionKernels::attentionBackwardKeyValue,
                dk, dv, dout, q, att, dpre, 0, R, N, HS, scale), 2, 0, dk, dv, dout, q, att, dpre);
    }

    @Override
    public void attentionForward(float[] out, float[] att, float[] q, float[] k, float[] v, int BH, int N, int HS, float scale) {
        if (onHost(2, out, att, q, k, v)) {
            cpu.attentionForward(out, att, q, k, v, BH, N, HS, scale);
            return;
        }
        int R = BH * N;
        if (R == 0) return;
        record("headDots", id -> TaskPackage.createPackage(id, AttentionKernels::headDots, att, q, k, 0, R, N, HS, scale),
                1, 0, att, q, k);
        record("softmaxRows", id -> TaskPackage.createPackage(id, AttentionKernels::softmaxRows, att, 0, R, N), 0, 1, att);
        record("headWeightedSum", id -> TaskPackage.createPackage(id, AttentionKernels::headWeightedSum, out, att, v, 0, R, N, HS, 1f),
                1, 0, out, att, v);
    }

    @Override
    public void zero(float[] x, int n) {
        if (onHost(1, x)) cpu.zero(x, n);
        else if ((n) > 0) record("zero", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::zero, x, 0, n), 1, 0, x);
    }

    @Override
    public void add(float[] out, float[] a, float[] b, int n) {
        if (onHost(1, out, a, b)) cpu.add(out, a, b, n);
        else if ((n) > 0) record("add", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::add, out, a, b, 0, n), 1, 0, out, a, b);
    }

    @Override
    public void addInPlace(float[] x, float[] a, int n) {
        if (onHost(1, x, a)) cpu.addInPlace(x, a, n);
        else if ((n) > 0) record("addInPlace", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::addInPlace, x, a, 0, n), 0, 1, x, a);
    }

    @Override
    public void scale(float[] out, float[] x, float s, int n) {
        if (onHost(1, out, x)) cpu.scale(out, x, s, n);
        else if ((n) > 0) record("scale", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::scale, out, x, s, 0, n), 1, 0, out, x);
    }

    @Override
    public void copySlice(float[] out, int outOff, float[] x, int xOff, int n) {
        if (onHost(1, out, x)) cpu.copySlice(out, outOff, x, xOff, n);
        else if ((n) > 0) record("copySlice", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::copySlice, out, outOff, x, xOff, 0, n), 1, 0, out, x);
    }

    @Override
    public void copySliceInt(int[] out, int outOff, int[] y, int yOff, int n) {
        if (onHost(1, out, y)) cpu.copySliceInt(out, outOff, y, yOff, n);
        else if ((n) > 0) record("copySliceInt", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::copySliceInt, out, outOff, y, yOff, 0, n), 1, 0, out, y);
    }

    @Override
    public void fillInt(int[] out, int value, int n) {
        if (onHost(1, out)) cpu.fillInt(out, value, n);
        else if ((n) > 0) record("fillInt", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::fillInt, out, value, 0, n), 1, 0, out);
    }

    @Override
    public void fillFrom(float[] out, float[] s, int k, int n) {
        if (onHost(1, out, s)) cpu.fillFrom(out, s, k, n);
        else if ((n) > 0) record("fillFrom", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::fillFrom, out, s, k, 0, n), 1, 0, out, s);
    }

    @Override
    public void axpyFrom(float[] x, float[] v, float[] s, int k, int n) {
        if (onHost(1, x, v, s)) cpu.axpyFrom(x, v, s, k, n);
        else if ((n) > 0) record("axpyFrom", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::axpyFrom, x, v, s, k, 0, n), 0, 1, x, v, s);
    }

    @Override
    public void addRowBroadcast(float[] out, float[] x, float[] v, int R, int N, int D) {
        if (onHost(1, out, x, v)) cpu.addRowBroadcast(out, x, v, R, N, D);
        else if ((R) > 0) record("addRowBroadcast", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::addRowBroadcast, out, x, v, 0, R, N, D), 1, 0, out, x, v);
    }

    @Override
    public void addRowBroadcastBackwardVec(float[] dv, float[] dout, int B, int N, int D) {
        if (onHost(1, dv, dout)) cpu.addRowBroadcastBackwardVec(dv, dout, B, N, D);
        else if ((B * D) > 0) record("addRowBroadcastBackwardVec", tid -> TaskPackage.createPackage(tid, ElementwiseKernels::addRowBroadcastBackwardVec, dv, dout, 0, B * D, N, D), 0, 1, dv, dout);
    }

    @Override
    public void siluForward(float[] out, float[] x, int n) {
        if (onHost(1, out, x)) cpu.siluForward(out, x, n);
        else if ((n) > 0) record("siluForward", tid -> TaskPackage.createPackage(tid, ActivationKernels::siluForward, out, x, 0, n), 1, 0, out, x);
    }

    @Override
    public void siluBackward(float[] dx, float[] dout, float[] x, int n) {
        if (onHost(1, dx, dout, x)) cpu.siluBackward(dx, dout, x, n);
        else if ((n) > 0) record("siluBackward", tid -> TaskPackage.createPackage(tid, ActivationKernels::siluBackward, dx, dout, x, 0, n), 1, 0, dx, dout, x);
    }

    @Override
    public void swigluForward(float[] out, float[] ab, int R, int hidden) {
        if (onHost(1, out, ab)) cpu.swigluForward(out, ab, R, hidden);
        else if ((R * hidden) > 0) record("swigluForward", tid -> TaskPackage.createPackage(tid, SwigluKernels::swigluForward, out, ab, 0, R * hidden, hidden), 1, 0, out, ab);
    }

    @Override
    public void swigluBackward(float[] dab, float[] dout, float[] ab, int R, int hidden) {
        if (onHost(1, dab, dout, ab)) cpu.swigluBackward(dab, dout, ab, R, hidden);
        else if ((R * hidden) > 0) record("swigluBackward", tid -> TaskPackage.createPackage(tid, SwigluKernels::swigluBackward, dab, dout, ab, 0, R * hidden, hidden), 1, 0, dab, dout, ab);
    }

    @Override
    public void rmsNormForward(float[] out, float[] rstd, float[] x, float[] w, int wOff, int R, int D, float eps) {
        if (onHost(2, out, rstd, x, w)) cpu.rmsNormForward(out, rstd, x, w, wOff, R, D, eps);
        else if ((R) > 0) record("rmsNormForward", tid -> TaskPackage.createPackage(tid, NormKernels::rmsNormForward, out, rstd, x, w, wOff, 0, R, D, eps), 2, 0, out, rstd, x, w);
    }

    @Override
    public void rmsNormBackward(float[] dx, float[] dout, float[] x, float[] w, int wOff, float[] rstd, int R, int D) {
        if (onHost(1, dx, dout, x, w, rstd)) cpu.rmsNormBackward(dx, dout, x, w, wOff, rstd, R, D);
        else if ((R) > 0) record("rmsNormBackward", tid -> TaskPackage.createPackage(tid, NormKernels::rmsNormBackward, dx, dout, x, w, wOff, rstd, 0, R, D), 1, 0, dx, dout, x, w, rstd);
    }

    @Override
    public void rmsNormWeightBackward(float[] dw, int dwOff, float[] dout, float[] x, float[] rstd, int R, int D) {
        if (onHost(1, dw, dout, x, rstd)) cpu.rmsNormWeightBackward(dw, dwOff, dout, x, rstd, R, D);
        else if ((D) > 0) record("rmsNormWeightBackward", tid -> TaskPackage.createPackage(tid, NormKernels::rmsNormWeightBackward, dw, dwOff, dout, x, rstd, 0, D, R, D), 0, 1, dw, dout, x, rstd);
    }

    @Override
    public void rmsNormModulateForward(float[] h, float[] y, float[] rstd, float[] x, float[] w, int wOff, float[] mod,
                                       int R, int N, int D, float eps, int chunks, int shiftIdx, int scaleIdx) {
        if (onHost(3, h, y, rstd, x, w, mod)) cpu.rmsNormModulateForward(h, y, rstd, x, w, wOff, mod, R, N, D, eps, chunks, shiftIdx, scaleIdx);
        else if ((R) > 0) record("rmsNormModulateForward", tid -> TaskPackage.createPackage(tid, NormKernels::rmsNormModulateForward, h, y, rstd, x, w, wOff, mod, 0, R, N, D, eps, chunks, shiftIdx, scaleIdx), 3, 0, h, y, rstd, x, w, mod);
    }

    @Override
    public void rmsNormModulateBackward(float[] dy, float[] dx, float[] dh, float[] mod, float[] x, float[] w, int wOff,
                                        float[] rstd, int R, int N, int D, int chunks, int scaleIdx) {
        if (onHost(2, dy, dx, dh, mod, x, w, rstd)) cpu.rmsNormModulateBackward(dy, dx, dh, mod, x, w, wOff, rstd, R, N, D, chunks, scaleIdx);
        else if ((R) > 0) record("rmsNormModulateBackward", tid -> TaskPackage.createPackage(tid, NormKernels::rmsNormModulateBackward, dy, dx, dh, mod, x, w, wOff, rstd, 0, R, N, D, chunks, scaleIdx), 1, 1, dy, dx, dh, mod, x, w, rstd);
    }

    @Override
    public void layerNormForward(float[] out, float[] mean, float[] rstd, float[] x, int R, int D, float eps) {
        if (onHost(3, out, mean, rstd, x)) cpu.layerNormForward(out, mean, rstd, x, R, D, eps);
        else if ((R) > 0) record("layerNormForward", tid -> TaskPackage.createPackage(tid, NormKernels::layerNormForward, out, mean, rstd, x, 0, R, D, eps), 3, 0, out, mean, rstd, x);
    }

    @Override
    public void layerNormBackward(float[] dx, float[] dout, float[] x, float[] mean, float[] rstd, int R, int D) {
        if (onHost(1, dx, dout, x, mean, rstd)) cpu.layerNormBackward(dx, dout, x, mean, rstd, R, D);
        else if ((R) > 0) record("layerNormBackward", tid -> TaskPackage.createPackage(tid, NormKernels::layerNormBackward, dx, dout, x, mean, rstd, 0, R, D), 0, 1, dx, dout, x, mean, rstd);
    }

    @Override
    public void modulateForward(float[] out, float[] x, float[] mod, int R, int N, int D, int chunks, int shiftIdx, int scaleIdx) {
        if (onHost(1, out, x, mod)) cpu.modulateForward(out, x, mod, R, N, D, chunks, shiftIdx, scaleIdx);
        else if ((R) > 0) record("modulateForward", tid -> TaskPackage.createPackage(tid, AdaLnKernels::modulateForward, out, x, mod, 0, R, N, D, chunks, shiftIdx, scaleIdx), 1, 0, out, x, mod);
    }

    @Override
    public void modulateBackwardInput(float[] dx, float[] dout, float[] mod, int R, int N, int D, int chunks, int scaleIdx) {
        if (onHost(1, dx, dout, mod)) cpu.modulateBackwardInput(dx, dout, mod, R, N, D, chunks, scaleIdx);
        else if ((R) > 0) record("modulateBackwardInput", tid -> TaskPackage.createPackage(tid, AdaLnKernels::modulateBackwardInput, dx, dout, mod, 0, R, N, D, chunks, scaleIdx), 1, 0, dx, dout, mod);
    }

    @Override
    public void modulateBackwardMod(float[] dmod, float[] dout, float[] x, int B, int N, int D, int chunks, int shiftIdx, int scaleIdx) {
        if (onHost(1, dmod, dout, x)) cpu.modulateBackwardMod(dmod, dout, x, B, N, D, chunks, shiftIdx, scaleIdx);
        else if ((B * D) > 0) record("modulateBackwardMod", tid -> TaskPackage.createPackage(tid, AdaLnKernels::modulateBackwardMod, dmod, dout, x, 0, B * D, N, D, chunks, shiftIdx, scaleIdx), 1, 0, dmod, dout, x);
    }

    @Override
    public void gateResidualForward(float[] out, float[] x, float[] y, float[] mod, int R, int N, int D, int chunks, int gateIdx) {
        if (onHost(1, out, x, y, mod)) cpu.gateResidualForward(out, x, y, mod, R, N, D, chunks, gateIdx);
        else if ((R) > 0) record("gateResidualForward", tid -> TaskPackage.createPackage(tid, AdaLnKernels::gateResidualForward, out, x, y, mod, 0, R, N, D, chunks, gateIdx), 1, 0, out, x, y, mod);
    }

    @Override
    public void gateResidualBackwardInput(float[] dx, float[] dy, float[] dout, float[] mod, int R, int N, int D, int chunks, int gateIdx) {
        if (onHost(2, dx, dy, dout, mod)) cpu.gateResidualBackwardInput(dx, dy, dout, mod, R, N, D, chunks, gateIdx);
        else if ((R) > 0) record("gateResidualBackwardInput", tid -> TaskPackage.createPackage(tid, AdaLnKernels::gateResidualBackwardInput, dx, dy, dout, mod, 0, R, N, D, chunks, gateIdx), 2, 0, dx, dy, dout, mod);
    }

    @Override
    public void gateResidualBackwardMod(float[] dmod, float[] dout, float[] y, int B, int N, int D, int chunks, int gateIdx) {
        if (onHost(1, dmod, dout, y)) cpu.gateResidualBackwardMod(dmod, dout, y, B, N, D, chunks, gateIdx);
        else if ((B * D) > 0) record("gateResidualBackwardMod", tid -> TaskPackage.createPackage(tid, AdaLnKernels::gateResidualBackwardMod, dmod, dout, y, 0, B * D, N, D, chunks, gateIdx), 1, 0, dmod, dout, y);
    }

    @Override
    public void qkNormRopeForward(float[] qr, float[] kr, float[] v, float[] rstd, float[] qkv, float[] w, int qOff, int kOff,
                                  float[] cos, float[] sin, int rows, int N, int NH, int HS, float eps) {
        if (onHost(4, qr, kr, v, rstd, qkv, w, cos, sin)) cpu.qkNormRopeForward(qr, kr, v, rstd, qkv, w, qOff, kOff, cos, sin, rows, N, NH, HS, eps);
        else if ((rows) > 0) record("qkNormRopeForward", tid -> TaskPackage.createPackage(tid, AttentionKernels::qkNormRopeForward, qr, kr, v, rstd, qkv, w, qOff, kOff, cos, sin, 0, rows, rows, N, NH, HS, eps), 4, 0, qr, kr, v, rstd, qkv, w, cos, sin);
    }

    @Override
    public void qkNormRopeBackward(float[] dqkv, float[] dn, float[] dqr, float[] dkr, float[] dv, float[] qkv, float[] w,
                                   int qOff, int kOff, float[] rstd, float[] cos, float[] sin, int rows, int N, int NH, int HS) {
        if (onHost(2, dqkv, dn, dqr, dkr, dv, qkv, w, rstd, cos, sin)) cpu.qkNormRopeBackward(dqkv, dn, dqr, dkr, dv, qkv, w, qOff, kOff, rstd, cos, sin, rows, N, NH, HS);
        else if ((rows) > 0) record("qkNormRopeBackward", tid -> TaskPackage.createPackage(tid, AttentionKernels::qkNormRopeBackward, dqkv, dn, dqr, dkr, dv, qkv, w, qOff, kOff, rstd, cos, sin, 0, rows, rows, N, NH, HS), 2, 0, dqkv, dn, dqr, dkr, dv, qkv, w, rstd, cos, sin);
    }

    @Override
    public void qkNormWeightBackward(float[] dw, int qOff, int kOff, float[] dn, float[] qkv, float[] rstd, int rows, int N, int NH, int HS) {
        if (onHost(1, dw, dn, qkv, rstd)) cpu.qkNormWeightBackward(dw, qOff, kOff, dn, qkv, rstd, rows, N, NH, HS);
        else if ((HS) > 0) record("qkNormWeightBackward", tid -> TaskPackage.createPackage(tid, AttentionKernels::qkNormWeightBackward, dw, qOff, kOff, dn, qkv, rstd, 0, 2 * HS, rows, N, NH, HS), 0, 1, dw, dn, qkv, rstd);
    }

    @Override
    public void headsMerge(float[] out, float[] o, int rows, int N, int NH, int HS) {
        if (onHost(1, out, o)) cpu.headsMerge(out, o, rows, N, NH, HS);
        else if ((rows) > 0) record("headsMerge", tid -> TaskPackage.createPackage(tid, AttentionKernels::headsMerge, out, o, 0, rows, N, NH, HS), 1, 0, out, o);
    }

    @Override
    public void headsMergeBackward(float[] dO, float[] dout, int rows, int N, int NH, int HS) {
        if (onHost(1, dO, dout)) cpu.headsMergeBackward(dO, dout, rows, N, NH, HS);
        else if ((rows) > 0) record("headsMergeBackward", tid -> TaskPackage.createPackage(tid, AttentionKernels::headsMergeBackward, dO, dout, 0, rows, N, NH, HS), 1, 0, dO, dout);
    }

    @Override
    public void ropeTables(float[] cos, float[] sin, int N, int grid, int HS) {
        if (onHost(2, cos, sin)) cpu.ropeTables(cos, sin, N, grid, HS);
        else if ((N) > 0) record("ropeTables", tid -> TaskPackage.createPackage(tid, RopeKernels::ropeTables, cos, sin, 0, N, grid, HS), 2, 0, cos, sin);
    }

    @Override
    public void timestepFeatures(float[] out, float[] t, int B, int dim, float maxPeriod) {
        if (onHost(1, out, t)) cpu.timestepFeatures(out, t, B, dim, maxPeriod);
        else if ((B) > 0) record("timestepFeatures", tid -> TaskPackage.createPackage(tid, EmbedKernels::timestepFeatures, out, t, 0, B, dim, maxPeriod), 1, 0, out, t);
    }

    @Override
    public void embeddingForward(float[] out, float[] table, int tOff, int[] y, int B, int D) {
        if (onHost(1, out, table, y)) cpu.embeddingForward(out, table, tOff, y, B, D);
        else if ((B) > 0) record("embeddingForward", tid -> TaskPackage.createPackage(tid, EmbedKernels::embeddingForward, out, table, tOff, y, 0, B, D), 1, 0, out, table, y);
    }

    @Override
    public void embeddingBackward(float[] dtable, int tOff, float[] dout, int[] y, int classes, int B, int D) {
        if (onHost(1, dtable, dout, y)) cpu.embeddingBackward(dtable, tOff, dout, y, classes, B, D);
        else if ((classes) > 0) record("embeddingBackward", tid -> TaskPackage.createPackage(tid, EmbedKernels::embeddingBackward, dtable, tOff, dout, y, 0, classes, B, D), 0, 1, dtable, dout, y);
    }

    @Override
    public void patchifyForward(float[] tok, float[] x, int BN, int C, int H, int W, int P) {
        if (onHost(1, tok, x)) cpu.patchifyForward(tok, x, BN, C, H, W, P);
        else if ((BN) > 0) record("patchifyForward", tid -> TaskPackage.createPackage(tid, PatchKernels::patchifyForward, tok, x, 0, BN, C, H, W, P), 1, 0, tok, x);
    }

    @Override
    public void patchifyBackward(float[] dx, float[] dtok, int BN, int C, int H, int W, int P) {
        if (onHost(1, dx, dtok)) cpu.patchifyBackward(dx, dtok, BN, C, H, W, P);
        else if ((BN) > 0) record("patchifyBackward", tid -> TaskPackage.createPackage(tid, PatchKernels::patchifyBackward, dx, dtok, 0, BN, C, H, W, P), 1, 0, dx, dtok);
    }

    @Override
    public void unpatchifyForward(float[] out, float[] tok, int BN, int C, int H, int W, int P) {
        if (onHost(1, out, tok)) cpu.unpatchifyForward(out, tok, BN, C, H, W, P);
        else if ((BN) > 0) record("unpatchifyForward", tid -> TaskPackage.createPackage(tid, PatchKernels::unpatchifyForward, out, tok, 0, BN, C, H, W, P), 1, 0, out, tok);
    }

    @Override
    public void unpatchifyBackward(float[] dtok, float[] dout, int BN, int C, int H, int W, int P) {
        if (onHost(1, dtok, dout)) cpu.unpatchifyBackward(dtok, dout, BN, C, H, W, P);
        else if ((BN) > 0) record("unpatchifyBackward", tid -> TaskPackage.createPackage(tid, PatchKernels::unpatchifyBackward, dtok, dout, 0, BN, C, H, W, P), 1, 0, dtok, dout);
    }

    @Override
    public void maxPool2x2Forward(float[] out, int[] argmax, float[] x, int outs, int H, int W) {
        if (onHost(2, out, argmax, x)) cpu.maxPool2x2Forward(out, argmax, x, outs, H, W);
        else if ((outs) > 0) record("maxPool2x2Forward", tid -> TaskPackage.createPackage(tid, PoolKernels::maxPool2x2Forward, out, argmax, x, 0, outs, H, W), 2, 0, out, argmax, x);
    }

    @Override
    public void maxPool2x2Backward(float[] dx, float[] dout, int[] argmax, int outs) {
        if (onHost(1, dx, dout, argmax)) cpu.maxPool2x2Backward(dx, dout, argmax, outs);
        else if ((outs) > 0) record("maxPool2x2Backward", tid -> TaskPackage.createPackage(tid, PoolKernels::maxPool2x2Backward, dx, dout, argmax, 0, outs), 0, 1, dx, dout, argmax);
    }

    @Override
    public void concatForward(float[] out, float[] a, float[] b, int rows, int CA, int CB, int HW) {
        if (onHost(1, out, a, b)) cpu.concatForward(out, a, b, rows, CA, CB, HW);
        else if ((rows) > 0) record("concatForward", tid -> TaskPackage.createPackage(tid, ChannelKernels::concatForward, out, a, b, 0, rows, CA, CB, HW), 1, 0, out, a, b);
    }

    @Override
    public void concatBackward(float[] da, float[] db, float[] dout, int rows, int CA, int CB, int HW) {
        if (onHost(2, da, db, dout)) cpu.concatBackward(da, db, dout, rows, CA, CB, HW);
        else if ((rows) > 0) record("concatBackward", tid -> TaskPackage.createPackage(tid, ChannelKernels::concatBackward, da, db, dout, 0, rows, CA, CB, HW), 2, 0, da, db, dout);
    }

    @Override
    public void broadcastConcatForward(float[] out, float[] a, float[] v, int rows, int CA, int D, int HW) {
        if (onHost(1, out, a, v)) cpu.broadcastConcatForward(out, a, v, rows, CA, D, HW);
        else if ((rows) > 0) record("broadcastConcatForward", tid -> TaskPackage.createPackage(tid, ChannelKernels::broadcastConcatForward, out, a, v, 0, rows, CA, D, HW), 1, 0, out, a, v);
    }

    @Override
    public void broadcastConcatBackward(float[] da, float[] dv, float[] dout, int rows, int CA, int D, int HW) {
        if (onHost(2, da, dv, dout)) cpu.broadcastConcatBackward(da, dv, dout, rows, CA, D, HW);
        else if ((rows) > 0) record("broadcastConcatBackward", tid -> TaskPackage.createPackage(tid, ChannelKernels::broadcastConcatBackward, da, dv, dout, 0, rows, CA, D, HW), 2, 0, da, dv, dout);
    }

    @Override
    public void mseRowSums(float[] rowSum, float[] pred, float[] target, int B, int per) {
        if (onHost(1, rowSum, pred, target)) cpu.mseRowSums(rowSum, pred, target, B, per);
        else if ((B) > 0) record("mseRowSums", tid -> TaskPackage.createPackage(tid, LossKernels::mseRowSums, rowSum, pred, target, 0, B, per), 1, 0, rowSum, pred, target);
    }

    @Override
    public void mseBackward(float[] dpred, float[] pred, float[] target, int n, float scale) {
        if (onHost(1, dpred, pred, target)) cpu.mseBackward(dpred, pred, target, n, scale);
        else if ((n) > 0) record("mseBackward", tid -> TaskPackage.createPackage(tid, LossKernels::mseBackward, dpred, pred, target, 0, n, scale), 1, 0, dpred, pred, target);
    }

    @Override
    public void interpolate(float[] xt, float[] x, float[] eps, float[] t, int n, int per) {
        if (onHost(1, xt, x, eps, t)) cpu.interpolate(xt, x, eps, t, n, per);
        else if ((n) > 0) record("interpolate", tid -> TaskPackage.createPackage(tid, FlowKernels::interpolate, xt, x, eps, t, 0, n, per), 1, 0, xt, x, eps, t);
    }

    @Override
    public void velocityTarget(float[] v, float[] x, float[] eps, int n) {
        if (onHost(1, v, x, eps)) cpu.velocityTarget(v, x, eps, n);
        else if ((n) > 0) record("velocityTarget", tid -> TaskPackage.createPackage(tid, FlowKernels::velocityTarget, v, x, eps, 0, n), 1, 0, v, x, eps);
    }

    @Override
    public void guidanceCombine(float[] v, int vOff, float[] out, int cOff, float[] s, int k, int n) {
        if (onHost(1, v, out, s)) cpu.guidanceCombine(v, vOff, out, cOff, s, k, n);
        else if ((n) > 0) record("guidanceCombine", tid -> TaskPackage.createPackage(tid, FlowKernels::guidanceCombine, v, vOff, out, cOff, s, k, 0, n), 1, 0, v, out, s);
    }

    @Override
    public void guidanceCombineSplit(float[] v, int vOff, float[] u, float[] c, float[] s, int k, int n) {
        if (onHost(1, v, u, c, s)) cpu.guidanceCombineSplit(v, vOff, u, c, s, k, n);
        else if ((n) > 0) record("guidanceCombineSplit", tid -> TaskPackage.createPackage(tid, FlowKernels::guidanceCombineSplit, v, vOff, u, c, s, k, 0, n), 1, 0, v, u, c, s);
    }

    @Override
    public void eulerTo(float[] out, float[] x, float[] v, float[] s, int k, int n) {
        if (onHost(1, out, x, v, s)) cpu.eulerTo(out, x, v, s, k, n);
        else if ((n) > 0) record("eulerTo", tid -> TaskPackage.createPackage(tid, FlowKernels::eulerTo, out, x, v, s, k, 0, n), 1, 0, out, x, v, s);
    }

    @Override
    public void heunCorrect(float[] x, float[] v, float[] vp, float[] s, int k, int n) {
        if (onHost(1, x, v, vp, s)) cpu.heunCorrect(x, v, vp, s, k, n);
        else if ((n) > 0) record("heunCorrect", tid -> TaskPackage.createPackage(tid, FlowKernels::heunCorrect, x, v, vp, s, k, 0, n), 0, 1, x, v, vp, s);
    }

    @Override
    public void adamsBashforth2(float[] x, float[] vprev, float[] v, float[] s, int k, int n) {
        if (onHost(2, x, vprev, v, s)) cpu.adamsBashforth2(x, vprev, v, s, k, n);
        else if ((n) > 0) record("adamsBashforth2", tid -> TaskPackage.createPackage(tid, FlowKernels::adamsBashforth2, x, vprev, v, s, k, 0, n), 0, 2, x, vprev, v, s);
    }

    @Override
    public void sumSquaresSpans(float[] partial, int pOff, float[] g, int[] bounds, int chunks) {
        if (onHost(1, partial, g, bounds)) cpu.sumSquaresSpans(partial, pOff, g, bounds, chunks);
        else if ((chunks) > 0) record("sumSquaresSpans", tid -> TaskPackage.createPackage(tid, OptimizerKernels::sumSquaresSpans, partial, pOff, g, bounds, 0, chunks), 1, 0, partial, g, bounds);
    }

    @Override
    public void sumTo(float[] out, int k, float[] x, int n, float scale) {
        if (onHost(1, out, x)) cpu.sumTo(out, k, x, n, scale);
        else if ((1) > 0) record("sumTo", tid -> TaskPackage.createPackage(tid, OptimizerKernels::sumTo, out, k, x, n, scale, 0, 1), 1, 0, out, x);
    }

    @Override
    public void clipGate(float[] gate, float[] lossNorm, float maxNorm) {
        if (onHost(2, gate, lossNorm)) cpu.clipGate(gate, lossNorm, maxNorm);
        else if ((1) > 0) record("clipGate", tid -> TaskPackage.createPackage(tid, OptimizerKernels::clipGate, gate, lossNorm, maxNorm, 0, 1), 1, 1, gate, lossNorm);
    }

    @Override
    public void adamwEma(float[] p, float[] g, float[] m, float[] v, float[] e, float[] hp, float[] gate, float decay, int n) {
        if (onHost(5, p, m, v, e, g, hp, gate)) cpu.adamwEma(p, g, m, v, e, hp, gate, decay, n);
        else if ((n) > 0) record("adamwEma", tid -> TaskPackage.createPackage(tid, OptimizerKernels::adamwEma, p, g, m, v, e, hp, gate,
                decay, 1f - decay, 0, n), 0, 5, p, m, v, e, g, hp, gate);
    }

    @Override
    public void matmulForward(float[] out, float[] x, float[] w, int wOff, float[] b, int bOff, int R, int IN, int OUT) {
        if (onHost(1, out, x, w, b)) cpu.matmulForward(out, x, w, wOff, b, bOff, R, IN, OUT);
        else if ((R) > 0) record("matmulForward", tid -> TaskPackage.createPackage(tid, MatmulKernels::matmulForward, out, x, w, wOff, b, bOff, 0, R, IN, OUT), 1, 0, out, x, w, b);
    }

    @Override
    public void matmulBackwardInput(float[] dx, float[] dout, float[] w, int wOff, int R, int IN, int OUT) {
        if (onHost(1, dx, dout, w)) cpu.matmulBackwardInput(dx, dout, w, wOff, R, IN, OUT);
        else if ((R) > 0) record("matmulBackwardInput", tid -> TaskPackage.createPackage(tid, MatmulKernels::matmulBackwardInput, dx, dout, w, wOff, 0, R, IN, OUT), 1, 0, dx, dout, w);
    }

    @Override
    public void matmulBackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x, int R, int IN, int OUT) {
        if (onHost(2, dw, db, dout, x)) cpu.matmulBackwardWeight(dw, dwOff, db, dbOff, dout, x, R, IN, OUT);
        else if ((R == 0 ? 0 : OUT) > 0) record("matmulBackwardWeight", tid -> TaskPackage.createPackage(tid, MatmulKernels::matmulBackwardWeight, dw, dwOff, db, dbOff, dout, x, 0, OUT, R, IN, OUT), 0, 2, dw, db, dout, x);
    }

    @Override
    public void conv3x3Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff, int B, int CI, int CO, int H, int W) {
        if (onHost(1, out, x, w, bias)) cpu.conv3x3Forward(out, x, w, wOff, bias, bOff, B, CI, CO, H, W);
        else if ((B * CO) > 0) record("conv3x3Forward", tid -> TaskPackage.createPackage(tid, ConvKernels::conv3x3Forward, out, x, w, wOff, bias, bOff, 0, B * CO, CI, CO, H, W), 1, 0, out, x, w, bias);
    }

    @Override
    public void conv3x3BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W) {
        if (onHost(1, dx, dout, w)) cpu.conv3x3BackwardInput(dx, dout, w, wOff, B, CI, CO, H, W);
        else if ((B * CI) > 0) record("conv3x3BackwardInput", tid -> TaskPackage.createPackage(tid, ConvKernels::conv3x3BackwardInput, dx, dout, w, wOff, 0, B * CI, CI, CO, H, W), 1, 0, dx, dout, w);
    }

    @Override
    public void conv3x3BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x, int B, int CI, int CO, int H, int W) {
        if (onHost(2, dw, db, dout, x)) cpu.conv3x3BackwardWeight(dw, dwOff, db, dbOff, dout, x, B, CI, CO, H, W);
        else if ((B == 0 ? 0 : CO * CI) > 0) record("conv3x3BackwardWeight", tid -> TaskPackage.createPackage(tid, ConvKernels::conv3x3BackwardWeight, dw, dwOff, db, dbOff, dout, x, 0, CO * CI, B, CI, CO, H, W), 0, 2, dw, db, dout, x);
    }

    @Override
    public void conv1x1Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff, int B, int CI, int CO, int HW) {
        if (onHost(1, out, x, w, bias)) cpu.conv1x1Forward(out, x, w, wOff, bias, bOff, B, CI, CO, HW);
        else if ((B * CO) > 0) record("conv1x1Forward", tid -> TaskPackage.createPackage(tid, ConvKernels::conv1x1Forward, out, x, w, wOff, bias, bOff, 0, B * CO, CI, CO, HW), 1, 0, out, x, w, bias);
    }

    @Override
    public void conv1x1BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int HW) {
        if (onHost(1, dx, dout, w)) cpu.conv1x1BackwardInput(dx, dout, w, wOff, B, CI, CO, HW);
        else if ((B * CI) > 0) record("conv1x1BackwardInput", tid -> TaskPackage.createPackage(tid, ConvKernels::conv1x1BackwardInput, dx, dout, w, wOff, 0, B * CI, CI, CO, HW), 1, 0, dx, dout, w);
    }

    @Override
    public void conv1x1BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x, int B, int CI, int CO, int HW) {
        if (onHost(2, dw, db, dout, x)) cpu.conv1x1BackwardWeight(dw, dwOff, db, dbOff, dout, x, B, CI, CO, HW);
        else if ((B == 0 ? 0 : CO * CI) > 0) record("conv1x1BackwardWeight", tid -> TaskPackage.createPackage(tid, ConvKernels::conv1x1BackwardWeight, dw, dwOff, db, dbOff, dout, x, 0, CO * CI, B, CI, CO, HW), 0, 2, dw, db, dout, x);
    }

    @Override
    public void convTranspose2x2Forward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff, int B, int CI, int CO, int H, int W) {
        if (onHost(1, out, x, w, bias)) cpu.convTranspose2x2Forward(out, x, w, wOff, bias, bOff, B, CI, CO, H, W);
        else if ((B * CO) > 0) record("convTranspose2x2Forward", tid -> TaskPackage.createPackage(tid, ConvTransposeKernels::convTranspose2x2Forward, out, x, w, wOff, bias, bOff, 0, B * CO, CI, CO, H, W), 1, 0, out, x, w, bias);
    }

    @Override
    public void convTranspose2x2BackwardInput(float[] dx, float[] dout, float[] w, int wOff, int B, int CI, int CO, int H, int W) {
        if (onHost(1, dx, dout, w)) cpu.convTranspose2x2BackwardInput(dx, dout, w, wOff, B, CI, CO, H, W);
        else if ((B * CI) > 0) record("convTranspose2x2BackwardInput", tid -> TaskPackage.createPackage(tid, ConvTransposeKernels::convTranspose2x2BackwardInput, dx, dout, w, wOff, 0, B * CI, CI, CO, H, W), 1, 0, dx, dout, w);
    }

    @Override
    public void convTranspose2x2BackwardWeight(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x, int B, int CI, int CO, int H, int W) {
        if (onHost(2, dw, db, dout, x)) cpu.convTranspose2x2BackwardWeight(dw, dwOff, db, dbOff, dout, x, B, CI, CO, H, W);
        else if ((B == 0 ? 0 : CI * CO) > 0) record("convTranspose2x2BackwardWeight", tid -> TaskPackage.createPackage(tid, ConvTransposeKernels::convTranspose2x2BackwardWeight, dw, dwOff, db, dbOff, dout, x, 0, CI * CO, B, CI, CO, H, W), 0, 2, dw, db, dout, x);
    }

}
