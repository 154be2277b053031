package dip.cli;

import dip.tornado.exec.Engine;
import dip.tornado.exec.Engines;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Options every `dip` subcommand shares (a picocli mixin): engine, threads, verbosity. Commands that draw random
 * numbers use {@link CommonOptions}, which adds --seed; `dip info` draws none and has no --seed.
 */
public class EngineOptions {
    @Spec(Spec.Target.MIXEE) CommandSpec mixee;           // the command using these options, for error messages

    @Option(names = "--engine", defaultValue = "auto", paramLabel = "KIND",
            description = "Where kernels run: auto, java or tornado (default: ${DEFAULT-VALUE}; auto = tornado when"
                    + " launched for TornadoVM, else java).")
    Engines.Kind engine;

    @Option(names = "--threads", paramLabel = "N",
            description = "CPU threads for the java engine (default: all processors, here ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-v", "--verbose"}, description = "More output; stack traces on errors.")
    boolean verbose;

    /** What `--engine tornado` says when this JVM has no TornadoVM (one line: how to get it). */
    static final String TORNADO_MISSING = "--engine tornado needs TornadoVM, and this JVM was not started with it:"
            + " install the TornadoVM SDK (SDKMAN: sdk install tornadovm, or a release from"
            + " https://github.com/beehive-lab/TornadoVM/releases), set TORNADOVM_HOME to it and start through"
            + " scripts/dip, which launches with the SDK's flags (by hand: docs/tornadovm.md); or use --engine java";

    public Engine createEngine() {
        if (threads < 1) throw new ParameterException(mixee.commandLine(), "--threads must be >= 1, got " + threads);
        if (engine == Engines.Kind.TORNADO && !Engines.tornadoLaunched()) throw new BadInput(TORNADO_MISSING);
        return Engines.create(engine, threads);
    }

    public int threads() { return threads; }

    public boolean verbose() { return verbose; }
}
