package dip.cli;

import dip.layers.Param;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.Preset;
import dip.tornado.exec.Engine;
import dip.tornado.exec.JavaEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * `dip info`: what this JVM and engine will run with, one "key: value" per line, in sections (JVM, engine).
 * A model section (`--preset X`: parameter counts per module) goes after the engine section.
 */
@Command(name = "info", mixinStandardHelpOptions = true, description = {"Print the JVM, engine, threads and Vector API in use.",
                "With --preset (and any shape option overriding it): also that model's shape and parameter counts."})
public final class InfoCommand implements Callable<Integer> {
    @Mixin EngineOptions common;   // --engine, --threads, --verbose (no --seed: info draws no random numbers)
    @Spec CommandSpec spec;
    @Mixin ModelShape shape;       // --preset X: also print that model's shape and parameter counts

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (shape.preset == null && !shape.given().isEmpty()) {
            throw new ParameterException(spec.commandLine(), String.join(", ", shape.given())
                    + " change a model's shape: give --preset too (e.g. --preset MICRO)");
        }
        try (Engine engine = common.createEngine()) {      // first: an engine that cannot start prints nothing else
            printJvm(out);
            printEngine(out, engine);
            if (shape.preset != null) {
                DipConfig cfg;
                try {
                    cfg = shape.apply(shape.preset.config());
                } catch (IllegalArgumentException e) {
                    throw new ParameterException(spec.commandLine(), e.getMessage());
                }
                printModel(out, engine, shape.preset, cfg);
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    static void printJvm(PrintWriter out) {
        out.printf("jdk:            %s (%s, %s)%n", Runtime.version(), System.getProperty("java.vendor"),
                System.getProperty("java.vm.name"));
        out.printf("dip:            %s%n", Version.project());
        out.printf("max heap:       %d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
        out.printf("processors:     %d%n", Runtime.getRuntime().availableProcessors());
    }

    /**
     * Parameter counts per module. The model is built for its shapes only (no activation buffers, and parameters are
     * allocated lazily), so this works for XL without its 2.5 GB of weights or its activations.
     */
    static void printModel(PrintWriter out, Engine engine, Preset preset, DipConfig cfg) {
        Dip model = Dip.shapes(cfg);
        out.printf("model:          %s %s%n", preset, cfg);
        out.printf("tokens:         %d (%dx%d grid of %dx%d patches)%n", cfg.tokens(), cfg.grid(), cfg.grid(),
                cfg.patchSize(), cfg.patchSize());
        java.util.Map<String, long[]> groups = new java.util.LinkedHashMap<>();
        for (Param p : model.params().all()) {
            String n = p.name(), g = n.startsWith("blocks.") ? "blocks" : n.substring(0, n.indexOf('.'));
            long[] acc = groups.computeIfAbsent(g, k -> new long[2]);
            acc[0] += p.size();
            acc[1]++;
        }
        groups.forEach((g, a) -> out.printf("  %-20s %,15d params in %3d tensors%n", g, a[0], a[1]));
        out.printf("  %-20s %,15d params in %3d tensors%n", "total", model.params().count(), model.params().size());
    }

    static void printEngine(PrintWriter out, Engine engine) {
        out.printf("engine:         %s%n", engine.name());
        out.printf("threads:        %d%n", engine.threads());
        out.printf("vector api:     %s%n", VectorInfo.describe());
        if (engine instanceof JavaEngine je) {
            out.printf("matmul path:    %s%n", je.vectorized() ? "Vector API (packed GEMM) above "
                    + "a size threshold, scalar kernels below" : "scalar kernels only (no jdk.incubator.vector)");
        }
    }
}
