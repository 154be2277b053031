package dip.cli;

import dip.tornado.exec.Engine;
import dip.tornado.exec.JavaEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * `dip info`: what this JVM and engine will run with, one "key: value" per line, in sections (JVM, engine).
 * A model section (`--preset X`: parameter counts per module) goes after the engine section.
 */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Print the JVM, engine, threads and Vector API in use.")
public final class InfoCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        printJvm(out);
        try (Engine engine = common.createEngine()) {
            printEngine(out, engine);
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
