package dip.cli;

import picocli.CommandLine.Option;

/** {@link EngineOptions} and --seed: the options of every `dip` subcommand that draws random numbers (a mixin). */
public final class CommonOptions extends EngineOptions {
    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    public long seed() { return seed; }
}
