package dip.sampler;

import dip.io.DipConfigJson;
import dip.io.ModelWeights;
import dip.io.Safetensors;
import dip.io.Tensor;
import dip.model.DipConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What {@code dip sample} writes into its output folder. */
public final class SampleOutputs {
    private SampleOutputs() {
    }

    /** Name of the tensors file; {@code dip eval fd} reads it. */
    public static final String SAMPLES_FILE = "samples.safetensors";

    public static void write(Path out, float[] x, float[] noise, int[] labels, int B, DipConfig cfg, CheckpointModel ckpt,
                      String[] rowLabels, int perClass, boolean grid, boolean individual, String settingsJson)
            throws IOException {
        int C = cfg.channels(), S = cfg.imageSize(), per = C * S * S;
        int[] shape = {B, C, S, S};
        java.nio.file.Files.createDirectories(out);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("checkpoint", ckpt.file().toString());
        meta.put(ModelWeights.CONFIG_KEY, DipConfigJson.toJson(cfg));
        meta.put(CheckpointModel.CLASS_NAMES_KEY, jsonArray(ckpt.classNames()));
        meta.put("sampler", settingsJson);
        Safetensors.write(out.resolve(SAMPLES_FILE), List.of(
                Tensor.f32("samples", shape, java.util.Arrays.copyOf(x, B * per)),
                Tensor.i32("labels", new int[]{B}, labels.clone()),
                Tensor.f32("noise", shape, java.util.Arrays.copyOf(noise, B * per))), meta);
        if (grid) {
            int rows = rowLabels.length;
            ImageWriter.writePng(ImageWriter.grid(x, B, C, S, S, rows, perClass, rowLabels, null, ImageWriter.defaultScale(S)),
                    out.resolve("grid.png"));
        }
        if (individual) {
            String[] names = new String[B];
            for (int b = 0; b < B; b++) {
                names[b] = String.format(Locale.ROOT, "%s_%03d", fileSafe(rowLabels[b / perClass]), b);   // b: unique with repeated classes
            }
            ImageWriter.writeEach(x, B, C, S, S, names, out.resolve("images"));
        }
    }

    /** A class name as a file-name part: letters, digits and '-' kept, anything else '_'. */
    public static String fileSafe(String s) { return s.replaceAll("[^A-Za-z0-9-]", "_"); }

    static String jsonArray(List<String> names) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append('"').append(names.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return sb.append(']').toString();
    }
}
