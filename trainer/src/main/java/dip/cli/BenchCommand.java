package dip.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `dip bench`: performance measurements. `dip bench kernels` times the hot kernels, `dip bench step` one sampling step of DiP-XL/16 vs DiT-only XL/4. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchKernelsCommand.class, BenchStepCommand.class, BenchEnginesCommand.class, BenchLaunchesCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
