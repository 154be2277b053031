package dip.model;

/** What turns the backbone's tokens into pixels. */
public enum HeadType {
    /** The paper's Patch Detailer Head: a small conv U-Net per patch (official LocalDecoder). */
    DIP,
    /** A standard DiT final layer: adaLN + Linear(D → C·P²) per token ("no head" ablation, small-patch baseline). */
    DIT_ONLY
}
