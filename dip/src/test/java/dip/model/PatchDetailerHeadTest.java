package dip.model;

import dip.layers.Init;
import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.tornado.exec.JavaEngine;
import dip.util.GradCheck;
import dip.util.Rng;
import dip.util.Tol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Patch Detailer Head: official names and size, gradients w.r.t. patches, s and every parameter, patch independence. */
class PatchDetailerHeadTest {
    private static final JavaEngine ENGINE = new JavaEngine(2);

    @AfterAll
    static void close() { ENGINE.close(); }

    /**
     * Weights where every parameter matters (DIP-SPEC §2b testing caution): N(0, (1.5/√fan_in)²) weights and N(0, 0.3²)
     * biases keep the activations O(1) through the whole U-Net, so the token s visibly moves the output.
     */
    static void initLarge(PatchDetailerHead head, Rng rng) {
        for (Param p : head.params()) {
            if (p.shape().length > 1) Init.normal(p, (float) (1.5 / Math.sqrt(Init.fanIn(p))), rng);
            else Init.normal(p, 0.3f, rng);
        }
    }

    /**
     * Finite-difference steps. What feeds a max-pool (the patches, the enc weights) gets 1e-3: a 1e-2 step can flip a
     * window's winner somewhere in the U-Net (a kink), which showed as a 30% miss on one seed while 1e-3 agreed to
     * 0.5%. Everything after the last pool (s, bottleneck, up, dec, out_conv) is smooth and gets the usual 1e-2, where
     * float noise in L is smaller relative to the step.
     */
    static final double H_THROUGH_POOL = 1e-3, H_SMOOTH = 1e-2;

    static void checkParam(Param p, java.util.function.Supplier<float[]> forward, float[] dout, Rng rng) {
        double h = p.name().contains(".enc") ? H_THROUGH_POOL : H_SMOOTH;
        float[] saved = p.data().clone();
        GradCheck.assertDirectional(p.name(), ps -> {
            System.arraycopy(ps, 0, p.data(), 0, ps.length);
            double l = GradCheck.dot(forward.get(), dout, dout.length);
            System.arraycopy(saved, 0, p.data(), 0, saved.length);
            return l;
        }, saved, p.grad(), rng, h, Tol.GRAD_REL);
    }

    /** L = ⟨head(patches, s), dout⟩; checks d(patches), d(s) and the grad of every parameter. */
    private static void checkGradients(int C, int P, int D, int width, int stages, int BN, long seed) {
        var rng = new Rng(seed);
        var reg = new ParamRegistry();
        var head = new PatchDetailerHead(ENGINE, reg, C, P, D, width, stages, BN);
        initLarge(head, rng);
        float[] patches = rng.normal(BN * C * P * P), s = rng.normal(BN * D), dout = rng.normal(BN * C * P * P);
        head.forward(patches, s, BN);
        reg.zeroGrad();
        float[] dPatches = head.backward(dout).clone(), dS = head.dS().clone();
        String tag = " (P=" + P + ", S=" + stages + ")";
        GradCheck.assertDirectional("d patches" + tag,
                xs -> GradCheck.dot(head.forward(xs, s, BN), dout, dout.length), patches, dPatches, rng, H_THROUGH_POOL, Tol.GRAD_REL);
        GradCheck.assertDirectional("d s" + tag,
                ss -> GradCheck.dot(head.forward(patches, ss, BN), dout, dout.length), s, dS, rng, H_SMOOTH, Tol.GRAD_REL);
        for (Param p : head.params()) checkParam(p, () -> head.forward(patches, s, BN), dout, rng);
    }

    @Test
    void gradientsTwoStages() { checkGradients(3, 4, 5, 3, 2, 3, 81); }          // P = 4: 4×4 → 2×2 → 1×1

    @Test
    void gradientsThreeStages() { checkGradients(1, 8, 3, 2, 3, 2, 82); }        // P = 8: 8×8 → 4×4 → 2×2 → 1×1

    @Test
    void gradientsWithA2x2Bottleneck() { checkGradients(3, 8, 5, 2, 2, 2, 83); } // token repeated over 2×2 (official P = 32 style)

    /** DiP-XL/16's head: C = 3, P = 16, D = 1152, width 64 → 4 stages, 28 tensors, 6,968,067 parameters, official names. */
    @Test
    void officialSizeAndNames() {
        var reg = new ParamRegistry();
        var head = new PatchDetailerHead(ENGINE, reg, 3, 16, 1152, 64, 1);
        assertEquals(4, head.stages());
        assertEquals(6_968_067L, reg.count());
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 4; i++) { expected.add("local_decoder.enc" + i + ".0.weight"); expected.add("local_decoder.enc" + i + ".0.bias"); }
        expected.add("local_decoder.bottleneck.0.weight");
        expected.add("local_decoder.bottleneck.0.bias");
        for (int i = 4; i >= 1; i--) {
            expected.add("local_decoder.up" + i + ".weight"); expected.add("local_decoder.up" + i + ".bias");
            expected.add("local_decoder.dec" + i + ".0.weight"); expected.add("local_decoder.dec" + i + ".0.bias");
        }
        expected.add("local_decoder.out_conv.weight");
        expected.add("local_decoder.out_conv.bias");
        List<String> names = new ArrayList<>();
        for (Param p : reg.all()) names.add(p.name());
        assertEquals(expected, names);
        assertArrayEquals(new int[]{64, 3, 3, 3}, reg.get("local_decoder.enc1.0.weight").shape());
        assertArrayEquals(new int[]{512, 256, 3, 3}, reg.get("local_decoder.enc4.0.weight").shape());
        assertArrayEquals(new int[]{512, 512 + 1152, 1, 1}, reg.get("local_decoder.bottleneck.0.weight").shape());
        assertArrayEquals(new int[]{512, 512, 2, 2}, reg.get("local_decoder.up4.weight").shape());
        assertArrayEquals(new int[]{256, 1024, 3, 3}, reg.get("local_decoder.dec4.0.weight").shape());
        assertArrayEquals(new int[]{64, 64, 2, 2}, reg.get("local_decoder.up1.weight").shape());
        assertArrayEquals(new int[]{64, 128, 3, 3}, reg.get("local_decoder.dec1.0.weight").shape());
        assertArrayEquals(new int[]{3, 64, 1, 1}, reg.get("local_decoder.out_conv.weight").shape());
        assertEquals(reg.all(), Arrays.asList(head.params()));
    }

    /** Patches are independent images: changing patch 0 (or its token) leaves patch 1's output alone. */
    @Test
    void patchesAreIndependent() {
        var rng = new Rng(84);
        int C = 2, P = 4, D = 3, BN = 2, K = C * P * P;
        var head = new PatchDetailerHead(ENGINE, new ParamRegistry(), C, P, D, 4, BN);
        initLarge(head, rng);
        float[] patches = rng.normal(BN * K), s = rng.normal(BN * D);
        float[] before = head.forward(patches, s, BN).clone();
        patches[3] += 1f;
        s[0] += 1f;
        float[] after = head.forward(patches, s, BN);
        assertArrayEquals(Arrays.copyOfRange(before, K, 2 * K), Arrays.copyOfRange(after, K, 2 * K), 0f, "patch 1");
        double moved = 0;
        for (int i = 0; i < K; i++) moved += Math.abs(before[i] - after[i]);
        if (moved < 1e-3) throw new AssertionError("patch 0 did not respond to its input: " + moved);
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> new PatchDetailerHead(ENGINE, new ParamRegistry(), 1, 6, 4, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new PatchDetailerHead(ENGINE, new ParamRegistry(), 1, 4, 4, 2, 3, 1));
        var head = new PatchDetailerHead(ENGINE, new ParamRegistry(), 1, 4, 4, 2, 2);
        assertThrows(IllegalArgumentException.class, () -> head.forward(new float[48], new float[12], 3));
    }
}
