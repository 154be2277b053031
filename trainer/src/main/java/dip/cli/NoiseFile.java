package dip.cli;

import dip.io.Safetensors;
import dip.io.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The file of {@code dip sample --noise}: a safetensors with the starting noise {@code noise} (count, C, H, W) and,
 * optionally, the classes {@code labels} (count), as every samples.safetensors holds them, so a run can be replayed.
 * Arrays in a record: equals compares them by identity (never used).
 */
record NoiseFile(int count, float[] noise, int[] labels) {

    /** Reads and checks FILE for a model of C channels, S px and numClasses classes; BadInput (one line) otherwise. */
    static NoiseFile read(Path file, int C, int S, int numClasses) {
        Safetensors.Contents c;
        try {
            c = Safetensors.read(file);
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            throw new BadInput("cannot use noise file " + file + ": " + e.getMessage());
        }
        if (!c.tensors().containsKey("noise")) throw new BadInput("noise file " + file + " has no tensor 'noise' (B, C, H, W)");
        Tensor t = c.tensor("noise");
        int[] shape = t.shape();
        if (shape.length != 4 || shape[1] != C || shape[2] != S || shape[3] != S || shape[0] < 1) {
            throw new BadInput("noise " + file + " has shape " + Arrays.toString(shape) + " but this model needs [B, "
                    + C + ", " + S + ", " + S + "]");
        }
        int B = shape[0];
        int[] labels = null;
        if (c.tensors().containsKey("labels")) {
            Tensor l = c.tensor("labels");
            if (!Arrays.equals(l.shape(), new int[]{B})) {
                throw new BadInput("noise " + file + ": tensor 'labels' has shape " + Arrays.toString(l.shape())
                        + " but the noise holds " + B + " images: need [" + B + "]");
            }
            labels = l.ints();
            for (int b = 0; b < B; b++) {
                if (labels[b] < 0 || labels[b] > numClasses) {
                    throw new BadInput("noise " + file + ": label " + labels[b] + " of image " + b + " is not a class of this"
                            + " model (0.." + (numClasses - 1) + ", " + numClasses + " = unconditional)");
                }
            }
        }
        return new NoiseFile(B, t.floats(), labels);
    }

}
