package dip.cli;

import dip.tornado.exec.Engine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * `dip bench kernels`: times each {@link KernelCases} row through the chosen engine and prints
 * {@code name shape ms GFLOP/s}, the median of --repeat runs after a warm-up (at least --warmup runs and
 * --warmup-ms per row). First a JIT warm-up runs every matmul path on small shapes for --jit-warmup-ms: until C2
 * has compiled the Vector API code, it runs in the interpreter or C1, which box every vector and are 10-100x
 * slower, and the first row would measure that. scripts/bench/bench_kernels.py prints the same rows.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = "Time matmul (256³, 1024³, DiP-XL/16 layer shapes; forward and both backwards) and the other hot kernels.")
public final class BenchKernelsCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Option(names = "--repeat", defaultValue = "9", paramLabel = "N", description = "Timed runs per row; the median is printed (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N", description = "Untimed runs per row, at least (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-ms", defaultValue = "500", paramLabel = "MS", description = "Untimed time per row, at least (default: ${DEFAULT-VALUE}).")
    long warmupMs;

    @Option(names = "--jit-warmup-ms", defaultValue = "3000", paramLabel = "MS", description = "JIT warm-up on small matmuls before the table (default: ${DEFAULT-VALUE}).")
    long jitWarmupMs;

    @Option(names = "--filter", paramLabel = "REGEX", description = "Only rows whose name contains a match, e.g. 'mm1024|silu'.")
    Pattern filter;

    static final String HEADER = String.format("%-18s %-20s %10s %9s", "kernel", "shape", "ms", "GFLOP/s");

    /** One row; the Python twin formats the same way. */
    static String row(String name, String shape, double ms, double flops) {
        return String.format("%-18s %-20s %10.3f %9s", name, shape, ms, flops > 0 ? String.format("%.1f", flops / ms / 1e6) : "-");
    }

    @Override
    public Integer call() {
        if (repeat < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--repeat must be >= 1, got " + repeat);
        PrintWriter out = spec.commandLine().getOut();
        try (Engine engine = common.createEngine()) {
            out.printf("# dip bench kernels: engine %s, %d threads, %s; median of %d runs%n", engine.name(),
                    engine.threads(), VectorInfo.describe(), repeat);
            jitWarmUp(engine);
            out.println(HEADER);
            for (KernelCases.Case c : KernelCases.all(engine, common.seed())) {
                if (filter != null && !filter.matcher(c.name()).find()) continue;
                out.println(row(c.name(), c.shape(), medianMs(c.setup().get()), c.flops()));
                out.flush();
            }
        }
        return ExitCodes.OK;
    }

    /** Runs every matmul path (GEMM with tails, gemv, axpy; all three products) until jitWarmupMs have passed. */
    void jitWarmUp(Engine engine) {
        var shapes = new java.util.ArrayList<KernelCases.Case>();
        KernelCases.matmul(shapes, engine, common.seed(), "warm", 70, 100, 90);     // GEMM, row and column tails
        KernelCases.matmul(shapes, engine, common.seed(), "warm", 2, 100, 90);      // gemv, axpy
        Runnable[] bodies = shapes.stream().map(c -> c.setup().get()).toArray(Runnable[]::new);
        long end = System.nanoTime() + jitWarmupMs * 1_000_000L;
        while (System.nanoTime() < end) for (Runnable b : bodies) b.run();
    }

    double medianMs(Runnable body) {
        long warmEnd = System.nanoTime() + warmupMs * 1_000_000L;
        for (int i = 0; i < warmup || System.nanoTime() < warmEnd; i++) body.run();
        double[] ms = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            body.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return repeat % 2 == 1 ? ms[repeat / 2] : (ms[repeat / 2 - 1] + ms[repeat / 2]) / 2;
    }
}
