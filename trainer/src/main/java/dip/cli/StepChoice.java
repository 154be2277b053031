package dip.cli;

import dip.model.Preset;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.util.List;

/** Which steps a step benchmark runs (`bench engines`, `bench launches`): presets, batch size, sampling and/or training. */
final class StepChoice {
    @Option(names = "--presets", split = ",", defaultValue = "MICRO,SMALL8", paramLabel = "P,..",
            description = "Presets to run (default: ${DEFAULT-VALUE}; XL16 needs a large heap: JAVA_OPTS=-Xmx20g).")
    Preset[] presets;
    @Option(names = "--batch-size", defaultValue = "4", paramLabel = "B",
            description = "Images per training step, and per sampling step (a CFG forward of 2B rows) (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--only", paramLabel = "KIND", description = "Only the sample or the train step.")
    String only;

    /** Usage errors for a bad batch size or --only. */
    void check(CommandSpec spec) {
        if (batch < 1) throw new ParameterException(spec.commandLine(), "--batch-size must be >= 1, got " + batch);
        if (only != null && !only.equals("sample") && !only.equals("train")) {
            throw new ParameterException(spec.commandLine(), "--only takes sample or train, got '" + only + "'");
        }
    }

    /** "sample", "train", or both in that order. */
    List<String> kinds() {
        return only != null ? List.of(only) : List.of("sample", "train");
    }
}
