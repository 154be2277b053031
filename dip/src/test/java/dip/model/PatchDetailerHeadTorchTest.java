package dip.model;

import dip.io.Safetensors;
import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.tornado.exec.JavaEngine;
import dip.util.Tol;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The head against PyTorch (scripts/reference/make_head_fixture.py, float64 reference): C = 3, P = 16 (the official
 * 4-stage structure), D = 8, width 4, 3 patches. Output, d(patches), d(s) and every parameter grad must agree to
 * Tol.TORCH_REL of each tensor's largest magnitude.
 */
class PatchDetailerHeadTorchTest {

    static void assertRelClose(String what, float[] expected, float[] actual, int n) {
        assertEquals(expected.length, n, what + ": fixture size");
        double maxRef = 0, maxErr = 0;
        int worst = 0;
        for (int i = 0; i < n; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            double e = Math.abs(expected[i] - actual[i]);
            if (e > maxErr) { maxErr = e; worst = i; }
        }
        assertTrue(maxErr <= Tol.TORCH_REL * maxRef, String.format("%s[%d]: torch %.8g, java %.8g (max err %.3g > %.1g of max |ref| %.3g)",
                what, worst, expected[worst], actual[worst], maxErr, Tol.TORCH_REL, maxRef));
    }

    @Test
    void matchesPyTorch() throws Exception {
        var file = Safetensors.read(Path.of(getClass().getResource("/golden/detailer_head_p16.safetensors").toURI()));
        int C = 3, P = 16, D = 8, width = 4, BN = 3;
        try (var engine = new JavaEngine(2)) {
            var reg = new ParamRegistry();
            var head = new PatchDetailerHead(engine, reg, C, P, D, width, BN);
            for (Param p : reg.all()) {                                       // every tensor present, same shape
                var t = file.tensor(p.name());
                assertArrayEquals(p.shape(), t.shape(), p.name() + " shape");
                p.load(t.floats());
            }
            long paramTensors = file.tensors().keySet().stream().filter(k -> k.startsWith("local_decoder.")).count();
            assertEquals(reg.size(), paramTensors, "parameter tensors in the fixture");
            float[] patches = file.tensor("fixture.patches").floats(), s = file.tensor("fixture.s").floats();
            float[] out = head.forward(patches, s, BN).clone();
            assertRelClose("out", file.tensor("fixture.out").floats(), out, BN * C * P * P);
            reg.zeroGrad();
            float[] dPatches = head.backward(file.tensor("fixture.dout").floats());
            assertRelClose("grad.patches", file.tensor("grad.patches").floats(), dPatches, BN * C * P * P);
            assertRelClose("grad.s", file.tensor("grad.s").floats(), head.dS(), BN * D);
            for (Param p : reg.all()) {
                assertRelClose("grad." + p.name(), file.tensor("grad." + p.name()).floats(), p.gradValues(), p.size());
            }
            // The check can fail: a different token must change the output well beyond the tolerance.
            float[] s2 = s.clone();
            Arrays.fill(s2, 0f);
            float[] out2 = head.forward(patches, s2, BN);
            double diff = 0, ref = 0;
            for (int i = 0; i < out2.length; i++) { diff = Math.max(diff, Math.abs(out2[i] - out[i])); ref = Math.max(ref, Math.abs(out[i])); }
            assertTrue(diff > 100 * Tol.TORCH_REL * ref, "s hardly matters: " + diff);
        }
    }
}
