package dip.model;

/**
 * Named model sizes (DiT's DiT_models table). XL16 and L16 are the paper's and the official code's;
 * the small ones train on 2 CPU cores on 32×32 data (Fashion-MNIST padded 28 → 32).
 */
public enum Preset {
    /** DiP-XL/16 (paper): 631,989,411 parameters. */
    XL16(new DipConfig(256, 16, 3, 1152, 26, 16, 1000, 64, HeadType.DIP, false)),
    /** DiP-L/16 (official code). */
    L16(new DipConfig(256, 16, 3, 1024, 22, 16, 1000, 64, HeadType.DIP, false)),
    /** Quick-start size: 32 px, P = 8 (16 tokens), D = 128, depth 4. */
    MICRO(new DipConfig(32, 8, 1, 128, 4, 4, 10, 16, HeadType.DIP, false)),
    /** Small, large patches: 32 px, P = 8, D = 256, depth 6. */
    SMALL8(new DipConfig(32, 8, 1, 256, 6, 4, 10, 32, HeadType.DIP, false)),
    /** Small, small patches: 32 px, P = 4 (64 tokens), D = 192, depth 6. */
    SMALL4(new DipConfig(32, 4, 1, 192, 6, 3, 10, 32, HeadType.DIP, false)),
    /** For tests: 16 px, P = 4, D = 32, depth 2. */
    TINY(new DipConfig(16, 4, 1, 32, 2, 2, 10, 8, HeadType.DIP, false));

    private final DipConfig config;

    Preset(DipConfig config) { this.config = config; }

    public DipConfig config() { return config; }
}
