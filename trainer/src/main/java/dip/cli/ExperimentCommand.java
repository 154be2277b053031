package dip.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `dip experiment`: small reruns of the paper's claims. `dip experiment overfit` is the paper's Fig. 3. */
@Command(name = "experiment", mixinStandardHelpOptions = true, description = "Reproduce the paper's claims at small scale.",
        subcommands = {OverfitCommand.class})
public final class ExperimentCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
