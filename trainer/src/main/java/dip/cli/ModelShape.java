package dip.cli;

import dip.model.DipConfig;
import dip.model.HeadType;
import dip.model.Preset;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * The model-shape options of `dip train`, `dip info`, `dip bench step`, `dip experiment overfit`, and of `dip sample`
 * and `dip convert` for checkpoints that do not store their config (PyTorch files) (a picocli mixin):
 * a --preset and the fields that override it. Each command has its own starting shape (see its description); an
 * option left out keeps that shape's value. Channels and classes come from the data, not from here.
 */
public final class ModelShape {
    @Option(names = "--preset", paramLabel = "PRESET",
            description = "Model size to start from: ${COMPLETION-CANDIDATES} (default: the command's, see its description).")
    Preset preset;
    @Option(names = "--image-size", paramLabel = "PX", description = "Image side H = W (default: the preset's).")
    Integer imageSize;
    @Option(names = "--patch-size", paramLabel = "P", description = "Patch side (default: the preset's).")
    Integer patchSize;
    @Option(names = "--hidden", paramLabel = "D", description = "Backbone width (default: the preset's).")
    Integer hidden;
    @Option(names = "--depth", paramLabel = "N", description = "DiT blocks (default: the preset's).")
    Integer depth;
    @Option(names = "--heads", paramLabel = "NH", description = "Attention heads (default: the preset's).")
    Integer heads;
    @Option(names = "--head-width", paramLabel = "W", description = "Patch Detailer Head base width (default: the preset's).")
    Integer headWidth;
    @Option(names = "--head", paramLabel = "HEAD",
            description = "DIP (Patch Detailer Head) or DIT_ONLY (standard DiT final layer) (default: the preset's).")
    HeadType head;

    /** The preset given, else {@code fallback}. */
    public Preset presetOr(Preset fallback) { return preset != null ? preset : fallback; }

    /** The starting shape: the --preset's config when given, else {@code fallback}. */
    public DipConfig base(DipConfig fallback) { return preset != null ? preset.config() : fallback; }

    /** The image side: --image-size when given, else {@code base}'s. */
    public int imageSize(DipConfig base) { return imageSize != null ? imageSize : base.imageSize(); }

    /**
     * {@code base} with every given option applied, and the data's channels and classes.
     * @throws IllegalArgumentException with DipConfig's one-line message when the shape is not a valid model
     */
    public DipConfig apply(DipConfig base, int channels, int numClasses) {
        return new DipConfig(imageSize(base), or(patchSize, base.patchSize()), channels, or(hidden, base.hidden()),
                or(depth, base.depth()), or(heads, base.heads()), numClasses, or(headWidth, base.headWidth()),
                head != null ? head : base.head(), base.adaLnZero());
    }

    /** {@code base} with every given option applied (its own channels and classes). */
    public DipConfig apply(DipConfig base) { return apply(base, base.channels(), base.numClasses()); }

    /** The option names given on the command line, in declaration order (for "ignored" notes and refusals). */
    public List<String> given() {
        List<String> g = new ArrayList<>();
        if (preset != null) g.add("--preset");
        if (imageSize != null) g.add("--image-size");
        if (patchSize != null) g.add("--patch-size");
        if (hidden != null) g.add("--hidden");
        if (depth != null) g.add("--depth");
        if (heads != null) g.add("--heads");
        if (headWidth != null) g.add("--head-width");
        if (head != null) g.add("--head");
        return g;
    }

    private static int or(Integer v, int dflt) { return v != null ? v : dflt; }
}
