package dip.cli;

import dip.io.ModelWeights;
import dip.io.SafetensorsException;
import dip.io.TorchCheckpoint;
import dip.io.TorchCheckpoint.Weights;
import dip.model.DipConfig;
import dip.sampler.CheckpointModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code dip convert IN OUT.safetensors}: a PyTorch checkpoint (Lightning .ckpt, .pt, .pth) to the project's format,
 * one set of weights (EMA by default) under the official names with the config in the {@value ModelWeights#CONFIG_KEY}
 * metadata, so every other command reads it. The config is inferred from the shapes or given with the shape options
 * (and checked against every tensor). Reading is {@link TorchCheckpoint}'s restricted unpickler: nothing in the file
 * runs. Bad input is one line, exit 2, and OUT is not written.
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a PyTorch .ckpt/.pt/.pth DiP checkpoint to the project's safetensors (with its dip_config).",
                "The shape options (--preset, --image-size ...) start from the config inferred from the tensor shapes"
                + " and are checked against every tensor."})
public final class ConvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "torch.save checkpoint: Lightning .ckpt, .pt or .pth.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The .safetensors file to write.")
    Path out;

    @Option(names = "--weights", defaultValue = "ema", paramLabel = "W",
            description = "ema or live: which weights of a training checkpoint (default: ${DEFAULT-VALUE}).")
    Weights weights;

    @Mixin ModelShape shape;      // --preset, --image-size …: the config, when the shapes alone do not give it

    @Override
    public Integer call() throws IOException {
        PrintWriter log = spec.commandLine().getOut();
        if (!out.getFileName().toString().endsWith(".safetensors")) {
            throw new ParameterException(spec.commandLine(), "OUT " + out + " must end in .safetensors");
        }
        if (!Files.isRegularFile(in)) throw new BadInput("checkpoint file not found: " + in);
        if (!CheckpointModel.isTorch(in)) {
            throw new BadInput(in + " is not a torch.save zip (.ckpt/.pt/.pth): a .safetensors needs no converting");
        }
        SampleCommand.checkOutputFolder(out.toAbsolutePath().getParent());
        DipConfig cfg;
        try {
            cfg = CheckpointModel.open(in, weights, shapeChoice(shape)).config();
            TorchCheckpoint.convert(in, out, weights, cfg, 0);
        } catch (CheckpointModel.BadCheckpoint | SafetensorsException e) {
            throw new BadInput(e.getMessage());
        }
        log.println("wrote " + out + " (" + weights.name().toLowerCase(java.util.Locale.ROOT) + " weights, dip_config "
                + dip.io.DipConfigJson.toJson(cfg) + ")");
        return ExitCodes.OK;
    }

    /** The config from --preset and the shape options, over the one the checkpoint implies (shared with sample). */
    static CheckpointModel.ShapeChoice shapeChoice(ModelShape shape) {
        return new CheckpointModel.ShapeChoice() {
            @Override
            public DipConfig choose(DipConfig implied) {
                if (shape.given().isEmpty()) return implied;
                DipConfig base = shape.preset != null ? shape.preset.config() : implied;
                return base == null ? null : shape.apply(base);
            }

            @Override
            public int imageSize() { return shape.imageSize != null ? shape.imageSize : 0; }
        };
    }
}
