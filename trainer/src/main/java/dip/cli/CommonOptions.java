package dip.cli;

import dip.tornado.exec.Engine;
import dip.tornado.exec.Engines;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options every `dip` subcommand shares (a picocli mixin): engine, threads, seed, verbosity. */
public final class CommonOptions {
    @Spec(Spec.Target.MIXEE) CommandSpec mixee;           // the command using these options, for error messages

    @Option(names = "--engine", defaultValue = "auto", paramLabel = "KIND",
            description = "Where kernels run: auto, java or tornado (default: ${DEFAULT-VALUE}; auto = tornado when"
                    + " launched for TornadoVM, else java).")
    Engines.Kind engine;

    @Option(names = "--threads", paramLabel = "N",
            description = "CPU threads for the java engine (default: all processors, here ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-v", "--verbose"}, description = "More output; stack traces on errors.")
    boolean verbose;

    public Engine createEngine() {
        if (threads < 1) throw new ParameterException(mixee.commandLine(), "--threads must be >= 1, got " + threads);
        return Engines.create(engine, threads);
    }

    public int threads() { return threads; }

    public long seed() { return seed; }

    public boolean verbose() { return verbose; }
}
