package dip.test;

import dip.io.ModelWeights;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.HeadType;
import dip.model.Preset;
import dip.tornado.exec.JavaEngine;
import dip.util.Rng;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The other direction of the PyTorch proof: a checkpoint written by Java (official names, config in the metadata,
 * official initialisation) loads in the PyTorch reference, which must reproduce Java's output on the same inputs.
 * Runs scripts/reference/check_java_checkpoint.py when /usr/bin/python3 has torch (Debian python3-torch);
 * skipped otherwise. The Java-side reload (save → load → same output) always runs.
 */
class JavaCheckpointInTorchTest {

    @ParameterizedTest
    @EnumSource(value = HeadType.class)
    void javaCheckpointReloadsAndMatchesTorchReference(HeadType headType, @TempDir Path dir) throws Exception {
        DipConfig cfg = Preset.TINY.config().withHead(headType);
        int B = 3;
        float[] v;
        Path ckpt = dir.resolve("java_ckpt.safetensors"), inputs = dir.resolve("java_inputs.safetensors");
        Rng rng = new Rng(7);
        float[] x = rng.normal(B * cfg.channels() * cfg.imageSize() * cfg.imageSize());
        float[] t = {0.2f, 0.6f, 0.95f};
        int[] y = {1, 9, cfg.numClasses()};
        try (JavaEngine engine = new JavaEngine(2)) {
            Dip model = new Dip(engine, cfg, B).initialize(new Rng(11));
            v = model.forward(x, t, y, B).clone();
            ModelWeights.save(ckpt, model.params(), cfg, ModelWeights.EMA_PREFIX, Map.of());
            Dip reloaded = new Dip(engine, ModelWeights.readConfig(ckpt), B);
            ModelWeights.load(ckpt, reloaded.params(), ModelWeights.EMA_PREFIX);
            assertArrayEquals(v, reloaded.forward(x, t, y, B), "reloaded model output");
        }
        int per = v.length / B;
        Safetensors.write(inputs, List.of(
                Tensor.f32("x_t", new int[]{B, cfg.channels(), cfg.imageSize(), cfg.imageSize()}, x),
                Tensor.f32("t", new int[]{B}, t),
                Tensor.i32("y", new int[]{B}, y),
                Tensor.f32("java.v", new int[]{B, cfg.channels(), cfg.imageSize(), cfg.imageSize()},
                        java.util.Arrays.copyOf(v, B * per))), Map.of());

        File python = new File("/usr/bin/python3");
        assumeTrue(python.canExecute() && hasTorch(python), "no /usr/bin/python3 with torch: PyTorch half skipped");
        Path script = repoRoot().resolve("scripts/reference/check_java_checkpoint.py");
        Process p = new ProcessBuilder(python.getPath(), script.toString(), ckpt.toString(), inputs.toString(), "--tol", "1e-5")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(120, TimeUnit.SECONDS);
        System.out.println(headType + ": " + out.trim());
        assertEquals(0, p.exitValue(), "PyTorch reference disagrees with the Java checkpoint:\n" + out);
    }

    static boolean hasTorch(File python) {
        try {
            Process p = new ProcessBuilder(python.getPath(), "-c", "import torch").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/reference"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath());
        return p;
    }
}
