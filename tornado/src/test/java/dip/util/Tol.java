package dip.util;

/** Test tolerances in one place (EJML's UtilEjml.TEST_F32). */
public final class Tol {
    private Tol() {
    }

    /** Forward pass, float32 vs float32 reference of the same math. */
    public static final float FWD_F32 = 1e-5f;
    /** Optimised kernel vs its naive twin (summation order differs). */
    public static final float FAST_VS_NAIVE = 1e-4f;
    /** Finite-difference directional derivative vs analytic, relative. */
    public static final double GRAD_REL = 1e-2;
    /** Java vs PyTorch, relative to the tensor's max magnitude. */
    public static final double TORCH_REL = 1e-4;
}
