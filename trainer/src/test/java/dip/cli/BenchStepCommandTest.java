package dip.cli;

import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.Preset;
import dip.tornado.exec.JavaEngine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dip bench step`: the MAC count against the paper's figures, and a run at a toy image size. */
class BenchStepCommandTest {

    @Test
    void macsOfDipXl16MatchThePaper() {
        // XL at one 16×16 patch (a 256² model allocates GBs of buffers); costs per token and per patch are the same.
        DipConfig xl = Preset.XL16.config(), one = new DipConfig(16, 16, 3, 1152, 26, 16, 1000, 64, xl.head(), false);
        try (var engine = new JavaEngine(1)) {
            double[] m = BenchStepCommand.macsPerImage(Dip.shapes(one), one);
            // Paper: the head costs ~17 GMACs per 256² image, the backbone ~110 (docs/model-spec.md §2). By hand, per 16×16 patch:
            // enc1 0.44M + enc2..4 4.72M each, bottleneck 0.85M, 4 ConvT 1.05M each, dec4..2 9.44M each, dec1 18.9M,
            // out 0.05M = 66.9M; × 256 patches = 17.1G.
            assertEquals(66.9e6, m[1], 0.1e6);
            assertEquals(17.1e9, 256 * m[1], 0.1e9);
            // per token: patch embed 768·1152 + 26 blocks × (qkv 3D² + proj D² + SwiGLU 3·D·3072) = 415.1M;
            // × 256 tokens + attention 26·2·256²·1152 (3.93G) + adaLN/t-MLP once per image (0.21G) = 110.4G
            double perToken = 768 * 1152 + 26 * (4.0 * 1152 * 1152 + 3.0 * 1152 * 3072);
            double perImage = 26 * 6.0 * 1152 * 1152 + 256 * 1152 + 1152 * 1152;
            assertEquals(perToken + 26 * 2.0 * 1152 + perImage, m[0] - m[1], 1e3);
            assertEquals(110.4e9, 256 * perToken + 26 * 2.0 * 256 * 256 * 1152 + perImage, 0.1e9);
        }
        assertEquals(16, BenchStepCommand.headSide("local_decoder.enc1.0.weight", 16, 4));
        assertEquals(2, BenchStepCommand.headSide("local_decoder.dec4.0.weight", 16, 4));
        assertEquals(1, BenchStepCommand.headSide("local_decoder.up4.weight", 16, 4));     // ConvT: its input side
        assertEquals(1, BenchStepCommand.headSide("local_decoder.bottleneck.0.weight", 16, 4));
        assertEquals(16, BenchStepCommand.headSide("local_decoder.out_conv.weight", 16, 4));
    }

    @Test
    void runsAtAToyImageSize() {
        DipCommandTest.Run r = DipCommandTest.run("bench", "step", "--engine", "java", "--threads", "1", "--image-size", "32", "--hidden", "64", "--heads", "4", "--head-width", "4",
                "--repeat", "1", "--warmup", "0", "--warmup-ms", "0");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(r.out().contains("t(26) = t(1) + 25·(t(2) − t(1))"), r.out());
        assertTrue(r.out().matches("(?s).*DiP-XL/16 +4 .*DiT-only XL/4 +64 .*ratio DiT-only XL/4 / DiP-XL/16 per step at depth 26: .*"), r.out());
        DipCommandTest.Run depth = DipCommandTest.run("bench", "step", "--engine", "java", "--depth", "3");
        assertEquals(ExitCodes.BAD_INPUT, depth.code(), depth.err());
        assertTrue(depth.err().startsWith("error: --depth does not apply to bench step"), depth.err());
    }

    @Test
    void fullBuildsTheTargetDepthForInference() {
        DipCommandTest.Run r = DipCommandTest.run("bench", "step", "--full", "--models", "DIP_XL16", "--target-depth", "3",
                "--engine", "java", "--threads", "1", "--image-size", "32", "--hidden", "64", "--heads", "4", "--head-width", "4",
                "--repeat", "1", "--warmup", "0", "--warmup-ms", "0");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*DiP-XL/16 +4 +3 +[0-9.]+ +[0-9,]+ .*"), r.out());
        assertTrue(!r.out().contains("extrapolated"), r.out());
    }
}
